/*
 * speech.h - what Alexa would say, for people at a terminal: the words of an
 * outputSpeech as plain text, and as sound rendered by espeak-ng.
 *
 * Alexa's SSML has tags espeak-ng does not know (amazon:effect, alexa:name,
 * audio, ...) and some it reads differently; speech_espeak_ssml() turns a
 * document into the SSML subset espeak-ng speaks well (speak, p, s, break,
 * emphasis, prosody, say-as characters), keeping the words of everything
 * else. The input is usually SSML that ssml_check() accepted, but nothing
 * here relies on it: any text gives some output and never a crash.
 *
 * No global state except while speech_render() runs espeak-ng (SIGPIPE is
 * ignored for the write to it); call it from one thread at a time.
 */
#ifndef SKILLSERVER_SPEECH_H
#define SKILLSERVER_SPEECH_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/*
 * The words of speech as plain text: tags removed, entities decoded,
 * <sub alias> spoken as the alias, <audio> shown as "[audio SRC]", white
 * space collapsed. ssml false: speech is plain text already (only white
 * space is tidied). Returns a new string (caller frees), NULL when out of
 * memory.
 */
char *speech_plain_text(const char *speech, bool ssml);

/* speech as SSML espeak-ng understands ("<speak>...</speak>"); plain text
 * (ssml false) is escaped and wrapped. Caller frees; NULL when out of memory. */
char *speech_espeak_ssml(const char *speech, bool ssml);

/* The espeak-ng voice for a skill's locale ("en-US" -> "en-us", "de-DE" ->
 * "de", "es-MX" -> "es-419"). Returns a static string. */
const char *speech_voice(const char *locale);

/*
 * Speak speech with espeak-ng in its SSML mode: into the WAV file wav, or
 * aloud when wav is NULL. Waits for espeak-ng (at most LIMIT_ESPEAK_MS) and
 * checks its exit status; a written file is checked to be a WAV with sound
 * in it. Errors: SS_ERR_IO (espeak-ng missing, failed, stuck, or wrote no
 * usable file; the message says which), SS_ERR_NOMEM.
 */
enum ss_err speech_render(const char *speech, bool ssml, const char *locale, const char *wav,
                          struct ss_error *err);

/* True when there is somewhere to play sound: a PulseAudio/PipeWire server
 * (PULSE_SERVER, $XDG_RUNTIME_DIR/pulse/native) or an ALSA playback device
 * under /dev/snd. why (may be NULL) gets the reason when false. */
bool speech_sound_device(char *why, size_t cap);

/*
 * Read a WAV file's header: RIFF/WAVE with a fmt chunk (PCM) and a data
 * chunk. Returns 0 and the duration in seconds, the sample rate and the
 * data size, or -1 when the file is not such a WAV.
 */
int speech_wav_info(const char *path, double *seconds, unsigned *rate, unsigned long *bytes);

#endif
