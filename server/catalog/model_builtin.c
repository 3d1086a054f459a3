/*
 * model_builtin.c - Alexa's built-in intents (with the phrases Alexa
 * understands for them without samples) and built-in slot types (with how
 * the matcher recognises each), as tables. What Amazon has beyond these is
 * unknown to skillserver: model_check() warns about it, the matcher treats
 * such a slot as any words.
 */
#include <stddef.h>
#include <string.h>

#include "model.h"

#define PHRASES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Phrases per spec §7 and what Alexa understands for each built-in intent
 * out of the box; a model's own samples for a built-in add to these. */
static const struct model_builtin_intent builtin_intents[] = {
    {"AMAZON.CancelIntent", true,
     PHRASES("cancel", "never mind", "nevermind", "forget it", "cancel that")},
    {"AMAZON.HelpIntent", true,
     PHRASES("help", "help me", "what can i say", "what can i do", "what can you do",
             "how does this work", "i need help", "what do i do")},
    {"AMAZON.StopIntent", true,
     PHRASES("stop", "off", "shut up", "be quiet", "stop it", "enough", "that is enough")},
    {"AMAZON.NavigateHomeIntent", true, PHRASES("go home", "go to home", "home")},
    {"AMAZON.FallbackIntent", false, PHRASES(NULL)},
    {"AMAZON.YesIntent", false,
     PHRASES("yes", "yeah", "yep", "yup", "sure", "ok", "okay", "yes please", "of course")},
    {"AMAZON.NoIntent", false,
     PHRASES("no", "nope", "nah", "no thanks", "no thank you", "not now")},
    {"AMAZON.StartOverIntent", false,
     PHRASES("start over", "restart", "start again", "begin again")},
    {"AMAZON.RepeatIntent", false,
     PHRASES("repeat", "repeat that", "say that again", "what did you say")},
    {"AMAZON.NextIntent", false, PHRASES("next", "skip", "next one")},
    {"AMAZON.PreviousIntent", false, PHRASES("previous", "go back", "back")},
    {"AMAZON.PauseIntent", false, PHRASES("pause", "pause it")},
    {"AMAZON.ResumeIntent", false, PHRASES("resume", "continue", "keep going")},
    {"AMAZON.MoreIntent", false, PHRASES("more", "show more", "tell me more")},
    {"AMAZON.LoopOnIntent", false, PHRASES("loop on", "loop", "turn on loop")},
    {"AMAZON.LoopOffIntent", false, PHRASES("loop off", "turn off loop", "stop looping")},
    {"AMAZON.ShuffleOnIntent", false, PHRASES("shuffle", "shuffle on", "turn on shuffle")},
    {"AMAZON.ShuffleOffIntent", false,
     PHRASES("shuffle off", "turn off shuffle", "stop shuffling")},
    {"AMAZON.NavigateSettingsIntent", false, PHRASES("settings", "go to settings")},
    {"AMAZON.PageUpIntent", false, PHRASES("page up")},
    {"AMAZON.PageDownIntent", false, PHRASES("page down")},
    {"AMAZON.ScrollUpIntent", false, PHRASES("scroll up")},
    {"AMAZON.ScrollDownIntent", false, PHRASES("scroll down")},
    {"AMAZON.ScrollLeftIntent", false, PHRASES("scroll left")},
    {"AMAZON.ScrollRightIntent", false, PHRASES("scroll right")},
    {"AMAZON.SelectIntent", false, PHRASES("select this", "choose this")},
    {"AMAZON.SendToPhoneIntent", false, PHRASES("send it to my phone", "send to my phone")},
};

const struct model_builtin_intent *
model_builtin_intent(const char *name)
{
    for (size_t i = 0; name && i < sizeof(builtin_intents) / sizeof(builtin_intents[0]); i++)
        if (strcmp(builtin_intents[i].name, name) == 0)
            return &builtin_intents[i];
    return NULL;
}

/* The built-in slot types skill authors use most; Amazon has more catalog
 * types, which model_check() only warns about. */
static const struct model_builtin_type builtin_types[] = {
    {"AMAZON.NUMBER", MODEL_BUILTIN_NUMBER},
    {"AMAZON.Ordinal", MODEL_BUILTIN_ORDINAL},
    {"AMAZON.FOUR_DIGIT_NUMBER", MODEL_BUILTIN_FOUR_DIGIT},
    {"AMAZON.PhoneNumber", MODEL_BUILTIN_PHONE},
    {"AMAZON.DATE", MODEL_BUILTIN_DATE},
    {"AMAZON.TIME", MODEL_BUILTIN_TIME},
    {"AMAZON.DURATION", MODEL_BUILTIN_DURATION},
    {"AMAZON.FirstName", MODEL_BUILTIN_FIRST_NAME},
    {"AMAZON.US_FIRST_NAME", MODEL_BUILTIN_FIRST_NAME},
    {"AMAZON.DayOfWeek", MODEL_BUILTIN_DAY_OF_WEEK},
    {"AMAZON.Month", MODEL_BUILTIN_MONTH},
    {"AMAZON.Color", MODEL_BUILTIN_COLOR},
    {"AMAZON.SearchQuery", MODEL_BUILTIN_WORDS},
    {"AMAZON.Actor", MODEL_BUILTIN_WORDS},
    {"AMAZON.AdministrativeArea", MODEL_BUILTIN_WORDS},
    {"AMAZON.Airline", MODEL_BUILTIN_WORDS},
    {"AMAZON.Airport", MODEL_BUILTIN_WORDS},
    {"AMAZON.Animal", MODEL_BUILTIN_WORDS},
    {"AMAZON.Artist", MODEL_BUILTIN_WORDS},
    {"AMAZON.Author", MODEL_BUILTIN_WORDS},
    {"AMAZON.Book", MODEL_BUILTIN_WORDS},
    {"AMAZON.BookSeries", MODEL_BUILTIN_WORDS},
    {"AMAZON.Character", MODEL_BUILTIN_WORDS},
    {"AMAZON.City", MODEL_BUILTIN_WORDS},
    {"AMAZON.Corporation", MODEL_BUILTIN_WORDS},
    {"AMAZON.Country", MODEL_BUILTIN_WORDS},
    {"AMAZON.Dessert", MODEL_BUILTIN_WORDS},
    {"AMAZON.Director", MODEL_BUILTIN_WORDS},
    {"AMAZON.EducationalOrganization", MODEL_BUILTIN_WORDS},
    {"AMAZON.EventType", MODEL_BUILTIN_WORDS},
    {"AMAZON.FictionalCharacter", MODEL_BUILTIN_WORDS},
    {"AMAZON.Food", MODEL_BUILTIN_WORDS},
    {"AMAZON.Game", MODEL_BUILTIN_WORDS},
    {"AMAZON.Genre", MODEL_BUILTIN_WORDS},
    {"AMAZON.Landmark", MODEL_BUILTIN_WORDS},
    {"AMAZON.Language", MODEL_BUILTIN_WORDS},
    {"AMAZON.LocalBusiness", MODEL_BUILTIN_WORDS},
    {"AMAZON.LocalBusinessType", MODEL_BUILTIN_WORDS},
    {"AMAZON.Movie", MODEL_BUILTIN_WORDS},
    {"AMAZON.MovieSeries", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicAlbum", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicGroup", MODEL_BUILTIN_WORDS},
    {"AMAZON.Musician", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicPlaylist", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicRecording", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicVenue", MODEL_BUILTIN_WORDS},
    {"AMAZON.Person", MODEL_BUILTIN_WORDS},
    {"AMAZON.PostalAddress", MODEL_BUILTIN_WORDS},
    {"AMAZON.Professional", MODEL_BUILTIN_WORDS},
    {"AMAZON.Region", MODEL_BUILTIN_WORDS},
    {"AMAZON.Room", MODEL_BUILTIN_WORDS},
    {"AMAZON.SocialMediaPlatform", MODEL_BUILTIN_WORDS},
    {"AMAZON.SoftwareApplication", MODEL_BUILTIN_WORDS},
    {"AMAZON.SoftwareGame", MODEL_BUILTIN_WORDS},
    {"AMAZON.Sport", MODEL_BUILTIN_WORDS},
    {"AMAZON.SportsEvent", MODEL_BUILTIN_WORDS},
    {"AMAZON.SportsTeam", MODEL_BUILTIN_WORDS},
    {"AMAZON.StreetName", MODEL_BUILTIN_WORDS},
    {"AMAZON.StreetAddress", MODEL_BUILTIN_WORDS},
    {"AMAZON.TVEpisode", MODEL_BUILTIN_WORDS},
    {"AMAZON.TVSeason", MODEL_BUILTIN_WORDS},
    {"AMAZON.TVSeries", MODEL_BUILTIN_WORDS},
    {"AMAZON.US_CITY", MODEL_BUILTIN_WORDS},
    {"AMAZON.US_STATE", MODEL_BUILTIN_WORDS},
    {"AMAZON.VideoGame", MODEL_BUILTIN_WORDS},
    {"AMAZON.WeatherCondition", MODEL_BUILTIN_WORDS},
    {"AMAZON.Anaphor", MODEL_BUILTIN_WORDS},
};

const struct model_builtin_type *
model_builtin_type(const char *name)
{
    for (size_t i = 0; name && i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++)
        if (strcmp(builtin_types[i].name, name) == 0)
            return &builtin_types[i];
    return NULL;
}

const struct model_builtin_intent *
model_builtin_intents(size_t *count)
{
    *count = sizeof(builtin_intents) / sizeof(builtin_intents[0]);
    return builtin_intents;
}

const struct model_builtin_type *
model_builtin_types(size_t *count)
{
    *count = sizeof(builtin_types) / sizeof(builtin_types[0]);
    return builtin_types;
}
