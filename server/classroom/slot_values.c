/*
 * slot_values.c - words to the values of Alexa's built-in slot types (see
 * slot_values.h): numbers and ordinals, digit strings, years, dates, weeks,
 * months, times, durations, first names, colours.
 *
 * Every parser takes the utterance's words w[0..n), already normalised
 * (lower case, no punctuation but what numbers and times need), and either
 * accepts all of them or none: a value never leaves a word unused, so the
 * matcher can try every split of a sample without a parser cutting one short.
 *
 * About 880 lines, one file on purpose: the date, time and duration parsers
 * are built on the number parsers and share their word tables, and apart
 * they would each need the others' internals in a header.
 */
#include "slot_values.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matcher_words.h"

static bool
all_digits(const char *s, size_t max)
{
    size_t n = 0;
    for (; *s; s++, n++)
        if (*s < '0' || *s > '9')
            return false;
    return n > 0 && n <= max;
}

/* ---- Numbers ---- */

static const char *const units[] = {
    "zero",     "one",     "two",     "three",     "four",     "five",     "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", NULL};
static const char *const tens[] = {"",      "",        "twenty", "thirty", "forty", "fifty",
                                   "sixty", "seventy", "eighty", "ninety", NULL};
static const char *const ordinals[] = {
    "zeroth",     "first",     "second",    "third",       "fourth",     "fifth",      "sixth",
    "seventh",    "eighth",    "ninth",     "tenth",       "eleventh",   "twelfth",    "thirteenth",
    "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", NULL};
static const char *const tens_ordinals[] = {"",          "",          "twentieth", "thirtieth",
                                            "fortieth",  "fiftieth",  "sixtieth",  "seventieth",
                                            "eightieth", "ninetieth", NULL};

#define NUMBER_MAX 1000000000000000LL /* a quadrillion: no one says more to a skill */

enum last { L_NONE, L_A, L_UNIT, L_TEEN, L_TENS, L_HUNDRED, L_SCALE, L_AND };

/* A cardinal number said as words[0..n) ("one hundred and five", "42",
 * "minus three", "a thousand"). Every word must belong to it. */
static int
parse_cardinal(const char *const *w, size_t n, long long *out)
{
    long long total = 0, group = 0, last_scale = NUMBER_MAX * 10;
    enum last last = L_NONE;
    bool negative = false;
    size_t i = 0;

    if (n == 0)
        return -1;
    if (strcmp(w[0], "minus") == 0 || strcmp(w[0], "negative") == 0) {
        negative = true;
        i = 1;
        if (n == 1)
            return -1;
    }
    if (n - i == 1 && strcmp(w[i], "zero") == 0) {
        *out = 0;
        return 0;
    }
    if (n - i == 1 && w[i][0] == '-' && all_digits(w[i] + 1, 15)) {
        *out = -strtoll(w[i] + 1, NULL, 10);
        return negative ? -1 : 0;
    }
    for (; i < n; i++) {
        const char *word = w[i];
        int v;
        if (all_digits(word, 15)) {
            /* "2 hundred", or a number alone */
            if (last != L_NONE)
                return -1;
            long long d = strtoll(word, NULL, 10);
            if (n - i > 1 && d >= 1000)
                return -1;
            group = d;
            last = L_TEEN;
        } else if (strcmp(word, "a") == 0) {
            if (last != L_NONE && last != L_AND)
                return -1;
            last = L_A;
        } else if ((v = matcher_word_index(units, word)) >= 1 && v <= 9) {
            if (last != L_NONE && last != L_TENS && last != L_HUNDRED && last != L_SCALE &&
                last != L_AND)
                return -1;
            group += v;
            last = L_UNIT;
        } else if (v >= 10) {
            if (last != L_NONE && last != L_HUNDRED && last != L_SCALE && last != L_AND)
                return -1;
            group += v;
            last = L_TEEN;
        } else if ((v = matcher_word_index(tens, word)) >= 2) {
            if (last != L_NONE && last != L_HUNDRED && last != L_SCALE && last != L_AND)
                return -1;
            group += 10LL * v;
            last = L_TENS;
        } else if (strcmp(word, "hundred") == 0) {
            if (last != L_A && last != L_UNIT && last != L_TEEN && last != L_TENS)
                return -1;
            if (group % 100 != group)
                return -1;
            group = (last == L_A ? 1 : group) * 100;
            last = L_HUNDRED;
        } else if (strcmp(word, "thousand") == 0 || strcmp(word, "million") == 0 ||
                   strcmp(word, "billion") == 0 || strcmp(word, "trillion") == 0) {
            long long scale = word[0] == 't' && word[1] == 'h' ? 1000LL
                              : word[0] == 'm'                 ? 1000000LL
                              : word[0] == 'b'                 ? 1000000000LL
                                                               : 1000000000000LL;
            if (last == L_NONE || last == L_AND || last == L_SCALE || scale >= last_scale)
                return -1;
            if (last == L_A)
                group = 1;
            if (group >= 1000)
                return -1;
            total += group * scale;
            group = 0;
            last_scale = scale;
            last = L_SCALE;
        } else if (strcmp(word, "and") == 0) {
            if (last != L_HUNDRED && last != L_SCALE)
                return -1;
            last = L_AND;
        } else {
            return -1;
        }
    }
    if (last == L_NONE || last == L_AND || last == L_A)
        return -1;
    total += group;
    if (total > NUMBER_MAX)
        return -1;
    *out = negative ? -total : total;
    return 0;
}

/* An ordinal ("third", "twenty first", "3rd", "one hundredth") as its number. */
static int
parse_ordinal(const char *const *w, size_t n, long long *out)
{
    int v;
    if (n == 0)
        return -1;
    if (n == 1) {
        const char *s = w[0];
        size_t len = strlen(s);
        if (len >= 3 && len <= 6) {
            char digits[8];
            memcpy(digits, s, len - 2);
            digits[len - 2] = '\0';
            const char *suffix = s + len - 2;
            if (all_digits(digits, 4)) {
                long long d = strtoll(digits, NULL, 10);
                const char *want = (d % 100 >= 11 && d % 100 <= 13) ? "th"
                                   : d % 10 == 1                    ? "st"
                                   : d % 10 == 2                    ? "nd"
                                   : d % 10 == 3                    ? "rd"
                                                                    : "th";
                if (strcmp(suffix, want) != 0)
                    return -1;
                *out = d;
                return 0;
            }
        }
    }
    const char *lastw = w[n - 1];
    long long base = 0;
    size_t prefix = n - 1;
    /* "one hundred and first": the "and" belongs to neither part. */
    if (prefix > 0 && strcmp(w[prefix - 1], "and") == 0)
        prefix--;
    if (strcmp(lastw, "hundredth") == 0 || strcmp(lastw, "thousandth") == 0) {
        const char *parts[LIMIT_MATCHER_WORDS + 1];
        if (n > LIMIT_MATCHER_WORDS)
            return -1;
        for (size_t i = 0; i < n - 1; i++)
            parts[i] = w[i];
        parts[n - 1] = lastw[0] == 'h' ? "hundred" : "thousand";
        if (n == 1) {
            *out = lastw[0] == 'h' ? 100 : 1000;
            return 0;
        }
        return parse_cardinal(parts, n, out);
    }
    if ((v = matcher_word_index(ordinals, lastw)) >= 1)
        ;
    else if ((v = matcher_word_index(tens_ordinals, lastw)) >= 2)
        v *= 10;
    else
        return -1;
    if (prefix > 0) {
        if (parse_cardinal(w, prefix, &base) != 0 || base <= 0)
            return -1;
        /* "twenty first" but not "two first" or "twenty twentieth" */
        if (base % (v >= 10 ? 100 : 10) != 0)
            return -1;
    }
    *out = base + v;
    return 0;
}

/* One spoken digit: "one".."nine", "zero", "oh", "o", or a single digit. */
static int
digit_word(const char *w)
{
    int v = matcher_word_index(units, w);
    if (v >= 0 && v <= 9)
        return v;
    if (strcmp(w, "oh") == 0 || strcmp(w, "o") == 0)
        return 0;
    if (w[0] >= '0' && w[0] <= '9' && w[1] == '\0')
        return w[0] - '0';
    return -1;
}

/* Digits said one by one (or written), min..max of them, into out. */
static int
parse_digits(const char *const *w, size_t n, size_t min, size_t max, char *out, size_t cap)
{
    size_t len = 0;
    if (cap < max + 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int d = digit_word(w[i]);
        if (d >= 0) {
            if (len == max)
                return -1;
            out[len++] = (char)('0' + d);
        } else if (all_digits(w[i], max)) {
            size_t l = strlen(w[i]);
            if (len + l > max)
                return -1;
            memcpy(out + len, w[i], l);
            len += l;
        } else {
            return -1;
        }
    }
    out[len] = '\0';
    return len >= min ? 0 : -1;
}

/* "twenty twenty six", "nineteen oh five", "two thousand and six", "2026". */
static int
parse_year(const char *const *w, size_t n, long long *out)
{
    long long v, hi, lo;
    if (n == 1 && all_digits(w[0], 4) && strlen(w[0]) == 4) {
        *out = strtoll(w[0], NULL, 10);
        return 0;
    }
    if (parse_cardinal(w, n, &v) == 0 && v >= 1000 && v <= 2999) {
        *out = v;
        return 0;
    }
    for (size_t k = 1; k < n; k++) {
        if (parse_cardinal(w, k, &hi) != 0 || hi < 10 || hi > 99)
            continue;
        if ((strcmp(w[k], "oh") == 0 || strcmp(w[k], "o") == 0) && n - k == 2) {
            int d = digit_word(w[k + 1]);
            if (d < 1)
                continue;
            lo = d;
        } else if (n - k == 1 && strcmp(w[k], "hundred") == 0) {
            lo = 0;
        } else if (parse_cardinal(w + k, n - k, &lo) != 0 || lo < 10 || lo > 99) {
            continue;
        }
        *out = hi * 100 + lo;
        return 0;
    }
    return -1;
}

/* ---- Dates and times ---- */

static const char *const weekdays[] = {"sunday",   "monday", "tuesday",  "wednesday",
                                       "thursday", "friday", "saturday", NULL};
static const char *const months[] = {"january",  "february", "march",  "april",     "may",
                                     "june",     "july",     "august", "september", "october",
                                     "november", "december", NULL};

/* Today at noon in local time (noon keeps day arithmetic clear of DST changes). */
static struct tm
day_of(time_t now, int add_days)
{
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = 12;
    tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    tm.tm_mday += add_days;
    mktime(&tm);
    return tm;
}

enum date_form { DAY, WEEK, WEEKEND, MONTH };

/* tm as Alexa writes a date: 2026-11-26, 2026-W48, 2026-W48-WE, 2026-11. */
static int
format_tm(const struct tm *tm, enum date_form form, char *out, size_t cap)
{
    size_t n = 0;
    switch (form) {
    case DAY:
        n = strftime(out, cap, "%Y-%m-%d", tm);
        break;
    case WEEK:
        n = strftime(out, cap, "%G-W%V", tm);
        break;
    case WEEKEND:
        n = strftime(out, cap, "%G-W%V-WE", tm);
        break;
    case MONTH:
        n = strftime(out, cap, "%Y-%m", tm);
        break;
    }
    return n > 0 ? 0 : -1;
}

static int
days_in_month(int year, int month /* 1..12 */)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* A day of the month said as "twenty sixth", "26th", "26" or "twenty six". */
static int
parse_day(const char *const *w, size_t n, int *day)
{
    long long v;
    if (parse_ordinal(w, n, &v) != 0 && parse_cardinal(w, n, &v) != 0)
        return -1;
    if (v < 1 || v > 31)
        return -1;
    *day = (int)v;
    return 0;
}

/* MONTH DAY [YEAR] | [the] DAY [of] MONTH [YEAR]; without a year, the next
 * such date from today on (Alexa resolves to the future). */
static int
parse_month_day(const char *const *w, size_t n, time_t now, char *out, size_t cap)
{
    int month = -1, day = 0;
    long long year = 0;
    size_t mpos = n;

    for (size_t i = 0; i < n; i++)
        if ((month = matcher_word_index(months, w[i])) >= 0) {
            mpos = i;
            break;
        }
    if (month < 0)
        return -1;
    month += 1;
    size_t i = 0;
    if (mpos == 0) {
        /* november [the] twenty sixth [twenty twenty six] */
        size_t k = 1;
        if (k < n && strcmp(w[k], "the") == 0)
            k++;
        bool found = false;
        for (size_t e = n; e > k && !found; e--) {
            if (parse_day(w + k, e - k, &day) != 0)
                continue;
            if (e == n || parse_year(w + e, n - e, &year) == 0)
                found = true;
        }
        if (!found)
            return -1;
    } else {
        /* [the] twenty sixth [of] november [year] */
        if (strcmp(w[0], "the") == 0)
            i = 1;
        size_t e = mpos;
        if (e > i && strcmp(w[e - 1], "of") == 0)
            e--;
        if (e <= i || parse_day(w + i, e - i, &day) != 0)
            return -1;
        if (mpos + 1 < n && parse_year(w + mpos + 1, n - mpos - 1, &year) != 0)
            return -1;
    }
    struct tm today = day_of(now, 0);
    if (year == 0) {
        year = today.tm_year + 1900;
        if (month < today.tm_mon + 1 || (month == today.tm_mon + 1 && day < today.tm_mday))
            year++;
    }
    if (day > days_in_month((int)year, month))
        return -1;
    return snprintf(out, cap, "%04lld-%02d-%02d", year, month, day) < (int)cap ? 0 : -1;
}

static int
parse_date(const char *const *w, size_t n, time_t now, char *out, size_t cap)
{
    struct tm tm = day_of(now, 0);
    int v;
    size_t i = 0;

    if (n == 0)
        return -1;
    if (n == 1) {
        const char *s = w[0];
        if (strcmp(s, "today") == 0 || strcmp(s, "tonight") == 0)
            return format_tm(&tm, DAY, out, cap);
        if (strcmp(s, "tomorrow") == 0) {
            tm = day_of(now, 1);
            return format_tm(&tm, DAY, out, cap);
        }
        if (strcmp(s, "yesterday") == 0) {
            tm = day_of(now, -1);
            return format_tm(&tm, DAY, out, cap);
        }
        if ((v = matcher_word_index(weekdays, s)) >= 0) {
            tm = day_of(now, (v - tm.tm_wday + 7) % 7);
            return format_tm(&tm, DAY, out, cap);
        }
        if ((v = matcher_word_index(months, s)) >= 0) {
            int year = tm.tm_year + 1900 + (v < tm.tm_mon ? 1 : 0);
            return snprintf(out, cap, "%04d-%02d", year, v + 1) < (int)cap ? 0 : -1;
        }
        /* 2026-11-26 as written */
        int y, mo, d, used = 0;
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && (size_t)used == strlen(s) &&
            used == 10 && mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo))
            return snprintf(out, cap, "%04d-%02d-%02d", y, mo, d) < (int)cap ? 0 : -1;
        long long year;
        if (all_digits(s, 4) && strlen(s) == 4 && parse_year(w, 1, &year) == 0)
            return snprintf(out, cap, "%04lld", year) < (int)cap ? 0 : -1;
        return -1;
    }
    if (strcmp(w[0], "the") == 0)
        i = 1;
    if (n - i == 3 && strcmp(w[i], "day") == 0 && strcmp(w[i + 2], "tomorrow") == 0 &&
        strcmp(w[i + 1], "after") == 0) {
        tm = day_of(now, 2);
        return format_tm(&tm, DAY, out, cap);
    }
    if (n - i == 3 && strcmp(w[i], "day") == 0 && strcmp(w[i + 2], "yesterday") == 0 &&
        strcmp(w[i + 1], "before") == 0) {
        tm = day_of(now, -2);
        return format_tm(&tm, DAY, out, cap);
    }
    if (n == 2 &&
        (strcmp(w[0], "this") == 0 || strcmp(w[0], "next") == 0 || strcmp(w[0], "last") == 0)) {
        int dir = w[0][0] == 't' ? 0 : w[0][0] == 'n' ? 1 : -1;
        if ((v = matcher_word_index(weekdays, w[1])) >= 0) {
            int ahead = (v - tm.tm_wday + 7) % 7;
            if (dir == 1 && ahead == 0)
                ahead = 7;
            if (dir == -1)
                ahead = ahead == 0 ? -7 : ahead - 7;
            tm = day_of(now, ahead);
            return format_tm(&tm, DAY, out, cap);
        }
        if (strcmp(w[1], "week") == 0 || strcmp(w[1], "weekend") == 0) {
            tm = day_of(now, 7 * dir);
            return format_tm(&tm, w[1][4] ? WEEKEND : WEEK, out, cap);
        }
        if (strcmp(w[1], "month") == 0) {
            tm = day_of(now, 0);
            tm.tm_mday = 1;
            tm.tm_mon += dir;
            mktime(&tm);
            return format_tm(&tm, MONTH, out, cap);
        }
        if (strcmp(w[1], "year") == 0)
            return snprintf(out, cap, "%04d", tm.tm_year + 1900 + dir) < (int)cap ? 0 : -1;
    }
    if (parse_month_day(w, n, now, out, cap) == 0)
        return 0;
    long long year;
    if (parse_year(w, n, &year) == 0 && n >= 2)
        return snprintf(out, cap, "%04lld", year) < (int)cap ? 0 : -1;
    return -1;
}

/* "am", "pm", "a m", "p m", "in the morning", "in the afternoon", "in the
 * evening", "at night": 0 for am, 12 for pm, -1 when w is none of these. */
static int
parse_meridiem(const char *const *w, size_t n)
{
    if (n == 1 && strcmp(w[0], "am") == 0)
        return 0;
    if (n == 1 && strcmp(w[0], "pm") == 0)
        return 12;
    if (n == 2 && strcmp(w[1], "m") == 0 && (strcmp(w[0], "a") == 0 || strcmp(w[0], "p") == 0))
        return w[0][0] == 'a' ? 0 : 12;
    if (n == 3 && strcmp(w[0], "in") == 0 && strcmp(w[1], "the") == 0)
        return strcmp(w[2], "morning") == 0     ? 0
               : strcmp(w[2], "afternoon") == 0 ? 12
               : strcmp(w[2], "evening") == 0   ? 12
                                                : -1;
    if (n == 2 && strcmp(w[0], "at") == 0 && strcmp(w[1], "night") == 0)
        return 12;
    return -1;
}

/* Minutes after the hour: "oclock", "oh five", "thirty", "forty five", "05". */
static int
parse_minutes(const char *const *w, size_t n, int *min)
{
    long long v;
    if (n == 1 && strcmp(w[0], "oclock") == 0) {
        *min = 0;
        return 0;
    }
    if (n == 2 && (strcmp(w[0], "oh") == 0 || strcmp(w[0], "o") == 0)) {
        int d = digit_word(w[1]);
        if (d < 1)
            return -1;
        *min = d;
        return 0;
    }
    if (parse_cardinal(w, n, &v) != 0 || v < 0 || v > 59)
        return -1;
    if (v < 10 && !(n == 1 && all_digits(w[0], 2) && strlen(w[0]) == 2))
        return -1; /* "three five" is not 03:05 */
    *min = (int)v;
    return 0;
}

static int
hour_minute(int hour, int min, int meridiem, char *out, size_t cap)
{
    if (meridiem >= 0) {
        if (hour < 1 || hour > 12)
            return -1;
        hour = hour % 12 + meridiem;
    }
    if (hour < 0 || hour > 23 || min < 0 || min > 59)
        return -1;
    return snprintf(out, cap, "%02d:%02d", hour, min) < (int)cap ? 0 : -1;
}

static int
parse_time(const char *const *w, size_t n, char *out, size_t cap)
{
    static const char *const parts[] = {"morning", "afternoon", "evening", "night", NULL};
    static const char *const codes[] = {"MO", "AF", "EV", "NI"};
    long long v;
    int p, hour, min, mer;

    if (n == 0)
        return -1;
    if (n == 1 && (strcmp(w[0], "noon") == 0 || strcmp(w[0], "midday") == 0))
        return snprintf(out, cap, "12:00") < (int)cap ? 0 : -1;
    if (n == 1 && strcmp(w[0], "midnight") == 0)
        return snprintf(out, cap, "00:00") < (int)cap ? 0 : -1;
    if (n == 1 && (p = matcher_word_index(parts, w[0])) >= 0)
        return snprintf(out, cap, "%s", codes[p]) < (int)cap ? 0 : -1;
    if (n == 1 && strcmp(w[0], "tonight") == 0)
        return snprintf(out, cap, "NI") < (int)cap ? 0 : -1;

    /* The am/pm words at the end, if any. */
    size_t end = n;
    mer = -1;
    for (size_t k = 1; k <= 3 && k < n; k++)
        if ((p = parse_meridiem(w + n - k, k)) >= 0) {
            mer = p;
            end = n - k;
            break;
        }
    /* "15:30", "3:30" */
    if (end == 1) {
        int used = 0;
        if (sscanf(w[0], "%2d:%2d%n", &hour, &min, &used) == 2 && (size_t)used == strlen(w[0]))
            return hour_minute(hour, min, mer, out, cap);
    }
    /* half past three, quarter to four, ten past six, five to nine */
    for (size_t k = 1; k + 1 < end; k++) {
        bool past = strcmp(w[k], "past") == 0 || strcmp(w[k], "after") == 0;
        bool to = strcmp(w[k], "to") == 0 || strcmp(w[k], "before") == 0;
        if (!past && !to)
            continue;
        size_t ml = k;
        if (ml > 1 && (strcmp(w[ml - 1], "minutes") == 0 || strcmp(w[ml - 1], "minute") == 0))
            ml--;
        if (ml == 1 && strcmp(w[0], "half") == 0 && past)
            min = 30;
        else if ((ml == 1 && strcmp(w[0], "quarter") == 0) ||
                 (ml == 2 && strcmp(w[0], "a") == 0 && strcmp(w[1], "quarter") == 0))
            min = 15;
        else if (parse_cardinal(w, ml, &v) == 0 && v >= 1 && v <= 59)
            min = (int)v;
        else
            return -1;
        if (parse_cardinal(w + k + 1, end - k - 1, &v) != 0 || v < 1 || v > 12)
            return -1;
        hour = (int)v;
        if (to) {
            min = 60 - min;
            hour = hour == 1 ? 12 : hour - 1;
        }
        /* Without am/pm, Alexa reports the hour as said ("half past three" 03:30). */
        return hour_minute(hour, min, mer, out, cap);
    }
    /* three, three thirty, three oh five, seven oclock, fifteen hundred */
    for (size_t k = 1; k <= end && k <= 2; k++) {
        if (parse_cardinal(w, k, &v) != 0 || v < 0 || v > 23)
            continue;
        hour = (int)v;
        if (k == end)
            return hour_minute(hour, 0, mer, out, cap);
        if (end - k == 1 && strcmp(w[k], "hundred") == 0 && mer < 0)
            return hour_minute(hour, 0, -1, out, cap);
        if (parse_minutes(w + k, end - k, &min) == 0)
            return hour_minute(hour, min, mer, out, cap);
    }
    return -1;
}

/* ---- Durations ---- */

enum { D_YEAR, D_MONTH, D_WEEK, D_DAY, D_HOUR, D_MINUTE, D_SECOND, D_UNITS };

static int
duration_unit(const char *w)
{
    static const char *const names[][3] = {
        {"year", "years", NULL},     {"month", "months", NULL}, {"week", "weeks", NULL},
        {"day", "days", NULL},       {"hour", "hours", "hr"},   {"minute", "minutes", "min"},
        {"second", "seconds", "sec"}};
    for (int u = 0; u < D_UNITS; u++)
        for (int k = 0; k < 3; k++)
            if (names[u][k] && strcmp(names[u][k], w) == 0)
                return u;
    if (strcmp(w, "mins") == 0)
        return D_MINUTE;
    if (strcmp(w, "secs") == 0)
        return D_SECOND;
    if (strcmp(w, "hrs") == 0)
        return D_HOUR;
    return -1;
}

/* Add half a unit, as the next smaller units. */
static int
add_half(long long *amount, int unit)
{
    switch (unit) {
    case D_YEAR:
        amount[D_MONTH] += 6;
        return 0;
    case D_WEEK:
        amount[D_DAY] += 3;
        amount[D_HOUR] += 12;
        return 0;
    case D_DAY:
        amount[D_HOUR] += 12;
        return 0;
    case D_HOUR:
        amount[D_MINUTE] += 30;
        return 0;
    case D_MINUTE:
        amount[D_SECOND] += 30;
        return 0;
    default:
        return -1;
    }
}

/* "ten minutes", "an hour and a half", "two hours and thirty minutes",
 * "half an hour", "one and a half days" -> ISO 8601 ("PT1H30M"). */
static int
parse_duration(const char *const *w, size_t n, char *out, size_t cap)
{
    long long amount[D_UNITS] = {0};
    bool any = false;
    size_t i = 0;

    while (i < n) {
        /* "two hours and thirty minutes": the "and" between parts is optional. */
        if (any && strcmp(w[i], "and") == 0 && ++i == n)
            return -1;
        /* half a/an UNIT */
        if (strcmp(w[i], "half") == 0) {
            size_t k = i + 1;
            if (k < n && (strcmp(w[k], "a") == 0 || strcmp(w[k], "an") == 0))
                k++;
            int u = k < n ? duration_unit(w[k]) : -1;
            if (u < 0 || add_half(amount, u) != 0)
                return -1;
            any = true;
            i = k + 1;
            continue;
        }
        /* AMOUNT [and a half] UNIT [and a half] */
        size_t unit_at = 0;
        int u = -1;
        for (size_t k = i + 1; k < n; k++)
            if ((u = duration_unit(w[k])) >= 0) {
                unit_at = k;
                break;
            }
        if (u < 0)
            return -1;
        size_t amount_end = unit_at;
        bool half = false;
        if (amount_end - i >= 4 && strcmp(w[amount_end - 3], "and") == 0 &&
            strcmp(w[amount_end - 2], "a") == 0 && strcmp(w[amount_end - 1], "half") == 0) {
            half = true;
            amount_end -= 3;
        }
        long long v;
        if (amount_end - i == 1 && (strcmp(w[i], "a") == 0 || strcmp(w[i], "an") == 0))
            v = 1;
        else if (parse_cardinal(w + i, amount_end - i, &v) != 0 || v < 0 || v > 1000000)
            return -1;
        amount[u] += v;
        i = unit_at + 1;
        if (n - i >= 3 && strcmp(w[i], "and") == 0 && strcmp(w[i + 1], "a") == 0 &&
            strcmp(w[i + 2], "half") == 0) {
            half = true;
            i += 3;
        }
        if (half && add_half(amount, u) != 0)
            return -1;
        any = true;
    }
    if (!any)
        return -1;
    /* ISO 8601 does not mix weeks with other units; Alexa says "P2W" alone. */
    bool others = false;
    for (int u = 0; u < D_UNITS; u++)
        others |= u != D_WEEK && amount[u] != 0;
    if (others) {
        amount[D_DAY] += 7 * amount[D_WEEK];
        amount[D_WEEK] = 0;
    }
    static const char letters[] = "YMWDHMS";
    size_t used = 0;
    int r = snprintf(out, cap, "P");
    if (r < 0 || (size_t)r >= cap)
        return -1;
    used = (size_t)r;
    bool t = false, written = false;
    for (int u = 0; u < D_UNITS; u++) {
        if (!amount[u])
            continue;
        if (u >= D_HOUR && !t) {
            r = snprintf(out + used, cap - used, "T");
            if (r < 0 || (size_t)r >= cap - used)
                return -1;
            used += (size_t)r;
            t = true;
        }
        r = snprintf(out + used, cap - used, "%lld%c", amount[u], letters[u]);
        if (r < 0 || (size_t)r >= cap - used)
            return -1;
        used += (size_t)r;
        written = true;
    }
    if (!written)
        return snprintf(out, cap, "PT0S") < (int)cap ? 0 : -1;
    return 0;
}

/* ---- The built-in kinds ---- */

static const char *const colors[] = {
    "red",       "orange",      "yellow",     "green",    "blue",      "purple",   "pink",
    "brown",     "black",       "white",      "gray",     "grey",      "silver",   "gold",
    "violet",    "indigo",      "turquoise",  "cyan",     "magenta",   "beige",    "maroon",
    "navy",      "teal",        "lime",       "olive",    "crimson",   "lavender", "light blue",
    "dark blue", "light green", "dark green", "sky blue", "navy blue", NULL};

static bool
letters_only(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p >= 0x80))
            return false;
    return *s != '\0';
}

enum slot_fit
slot_values_fit(enum model_builtin_kind kind, const char *const *w, size_t n, const char *text,
                time_t now, char *out, size_t cap)
{
    long long v;
    int i;
    switch (kind) {
    case MODEL_BUILTIN_NUMBER:
        if (parse_cardinal(w, n, &v) != 0)
            return SLOT_FIT_NONE;
        return snprintf(out, cap, "%lld", v) < (int)cap ? SLOT_FIT_TYPED : SLOT_FIT_NONE;
    case MODEL_BUILTIN_ORDINAL:
        if (parse_ordinal(w, n, &v) != 0)
            return SLOT_FIT_NONE;
        return snprintf(out, cap, "%lld", v) < (int)cap ? SLOT_FIT_TYPED : SLOT_FIT_NONE;
    case MODEL_BUILTIN_FOUR_DIGIT:
        if (parse_digits(w, n, 4, 4, out, cap) == 0)
            return SLOT_FIT_TYPED;
        if (parse_year(w, n, &v) == 0 && v >= 1000 && v <= 9999)
            return snprintf(out, cap, "%lld", v) < (int)cap ? SLOT_FIT_TYPED : SLOT_FIT_NONE;
        return SLOT_FIT_NONE;
    case MODEL_BUILTIN_PHONE:
        return parse_digits(w, n, 3, 15, out, cap) == 0 ? SLOT_FIT_TYPED : SLOT_FIT_NONE;
    case MODEL_BUILTIN_DATE:
        return parse_date(w, n, now, out, cap) == 0 ? SLOT_FIT_TYPED : SLOT_FIT_NONE;
    case MODEL_BUILTIN_TIME:
        return parse_time(w, n, out, cap) == 0 ? SLOT_FIT_TYPED : SLOT_FIT_NONE;
    case MODEL_BUILTIN_DURATION:
        return parse_duration(w, n, out, cap) == 0 ? SLOT_FIT_TYPED : SLOT_FIT_NONE;
    case MODEL_BUILTIN_FIRST_NAME:
        /* Any one word: Alexa knows thousands of names, and children's
         * names are not in any list. Written with a capital, as Alexa does. */
        if (n != 1 || !letters_only(w[0]) || snprintf(out, cap, "%s", w[0]) >= (int)cap)
            return SLOT_FIT_NONE;
        if (out[0] >= 'a' && out[0] <= 'z')
            out[0] = (char)(out[0] - 'a' + 'A');
        return SLOT_FIT_WILD;
    case MODEL_BUILTIN_DAY_OF_WEEK:
        if (n != 1 || matcher_word_index(weekdays, w[0]) < 0)
            return SLOT_FIT_NONE;
        return snprintf(out, cap, "%s", w[0]) < (int)cap ? SLOT_FIT_TYPED : SLOT_FIT_NONE;
    case MODEL_BUILTIN_MONTH:
        if (n != 1 || matcher_word_index(months, w[0]) < 0)
            return SLOT_FIT_NONE;
        return snprintf(out, cap, "%s", w[0]) < (int)cap ? SLOT_FIT_TYPED : SLOT_FIT_NONE;
    case MODEL_BUILTIN_COLOR:
        if (n > 2 || snprintf(out, cap, "%s", text) >= (int)cap)
            return SLOT_FIT_NONE;
        i = matcher_word_index(colors, text);
        return i >= 0 ? SLOT_FIT_TYPED : SLOT_FIT_WILD;
    case MODEL_BUILTIN_WORDS:
        break;
    }
    return snprintf(out, cap, "%s", text) < (int)cap ? SLOT_FIT_WILD : SLOT_FIT_NONE;
}

int
slot_values_read(enum model_builtin_kind kind, const char *words, time_t now, char *out, size_t cap)
{
    char norm[LIMIT_MODEL_TEXT_CHARS];
    const char *w[LIMIT_MATCHER_WORDS];
    size_t n = 0;

    if (model_normalise(words, norm, sizeof(norm)) >= sizeof(norm))
        return 0;
    /* The words, split at the single spaces model_normalise() leaves. */
    char text[LIMIT_MODEL_TEXT_CHARS];
    memcpy(text, norm, strlen(norm) + 1);
    for (char *p = norm; *p;) {
        if (n == LIMIT_MATCHER_WORDS)
            return 0;
        w[n++] = p;
        p += strcspn(p, " ");
        if (*p)
            *p++ = '\0';
    }
    return n && slot_values_fit(kind, w, n, text, now, out, cap) != SLOT_FIT_NONE;
}
