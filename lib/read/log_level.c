/*
 * log_level.c - the one table of level spellings (log_level.h). Lookups run
 * once per record on the reader's hot path, so they switch on the length
 * and compare folded bytes, with no allocation and no locale.
 */
#include "log_level.h"

#include <string.h>

#define NAME(s) {s, sizeof s - 1}
static const rn_field names[] = {
    NAME("TRACE"), NAME("DEBUG"), NAME("INFO"),      NAME("NOTICE"),
    NAME("WARN"),  NAME("ERROR"), NAME("CRITICAL"),  NAME("ALERT"),
    NAME("EMERGENCY"), NAME("FATAL"),
};
#undef NAME

rn_field rn__level_name(int level)
{
    rn_field none = {"", 0};
    if (level < RN__LV_TRACE || level > RN__LV_FATAL)
        return none;
    return names[level];
}

static const struct {
    const char *word;
    signed char level;
} words[] = {
    {"TRACE", RN__LV_TRACE},       {"FINEST", RN__LV_TRACE},
    {"FINER", RN__LV_TRACE},       {"VERBOSE", RN__LV_TRACE},
    {"DEBUG", RN__LV_DEBUG},       {"FINE", RN__LV_DEBUG},
    {"CONFIG", RN__LV_DEBUG},      {"INFO", RN__LV_INFO},
    {"INFORMATION", RN__LV_INFO},  {"NOTICE", RN__LV_NOTICE},
    {"WARN", RN__LV_WARN},         {"WARNING", RN__LV_WARN},
    {"ERROR", RN__LV_ERROR},       {"ERR", RN__LV_ERROR},
    {"SEVERE", RN__LV_ERROR},      {"CRITICAL", RN__LV_CRITICAL},
    {"CRIT", RN__LV_CRITICAL},     {"ALERT", RN__LV_ALERT},
    {"EMERGENCY", RN__LV_EMERGENCY}, {"EMERG", RN__LV_EMERGENCY},
    {"PANIC", RN__LV_EMERGENCY},   {"FATAL", RN__LV_FATAL},
};

int rn__level_of_text(const char *p, size_t n, bool letters)
{
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 1 && letters) {
        switch (*p) {
        case 'V': return RN__LV_TRACE;
        case 'D': return RN__LV_DEBUG;
        case 'I': return RN__LV_INFO;
        case 'W': return RN__LV_WARN;
        case 'E': return RN__LV_ERROR;
        case 'F':
        case 'A': return RN__LV_FATAL;
        default: return RN__LV_NONE;
        }
    }
    if (n < 3 || n > 11)
        return RN__LV_NONE;
    char up[12];
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        up[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (strlen(words[k].word) == n && memcmp(words[k].word, up, n) == 0)
            return words[k].level;
    return RN__LV_NONE;
}

int rn__level_of_syslog(int severity)
{
    static const signed char sev[8] = {
        RN__LV_EMERGENCY, RN__LV_ALERT, RN__LV_CRITICAL, RN__LV_ERROR,
        RN__LV_WARN,      RN__LV_NOTICE, RN__LV_INFO,    RN__LV_DEBUG,
    };
    return severity >= 0 && severity < 8 ? sev[severity] : RN__LV_NONE;
}

int rn__level_of_pino(long n)
{
    switch (n) {
    case 10: return RN__LV_TRACE;
    case 20: return RN__LV_DEBUG;
    case 30: return RN__LV_INFO;
    case 40: return RN__LV_WARN;
    case 50: return RN__LV_ERROR;
    case 60: return RN__LV_FATAL;
    default: return RN__LV_NONE;
    }
}
