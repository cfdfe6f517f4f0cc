/*
 * log_level.h - canonical log levels: every log format maps the level it
 * writes (a word, a letter, a syslog severity, a pino/bunyan number) onto one
 * upper-case word, so `level == ERROR` means the same on every format and no
 * stage above the reader needs to know how a format spells its levels.
 */
#ifndef RN_LOG_LEVEL_H
#define RN_LOG_LEVEL_H

#include "runnel.h"

#include <stdbool.h>

/* The canonical levels, least severe first. The order is the severity
 * order: a level is "ERROR or worse" when it is >= RN__LV_ERROR. */
enum rn__level {
    RN__LV_NONE = -1, /* not a level word */
    RN__LV_TRACE,
    RN__LV_DEBUG,
    RN__LV_INFO,
    RN__LV_NOTICE,
    RN__LV_WARN,
    RN__LV_ERROR,
    RN__LV_CRITICAL,
    RN__LV_ALERT,
    RN__LV_EMERGENCY,
    RN__LV_FATAL,
};

/* The canonical word of a level, a static string ("ERROR"); "" for NONE. */
rn_field rn__level_name(int level);

/* Maps a level as written, in any case, with surrounding blanks ignored:
 * the words (TRACE, DEBUG, INFO, NOTICE, WARN, WARNING, ERROR, ERR, SEVERE,
 * CRITICAL, CRIT, ALERT, EMERGENCY, EMERG, FATAL, and FINE/FINER/FINEST/
 * CONFIG of java.util.logging, PANIC of syslog) and, when letters is true,
 * the one-letter levels of logcat and glog (V D I W E F A). Returns
 * RN__LV_NONE for anything else. */
int rn__level_of_text(const char *p, size_t n, bool letters);

/* A syslog severity 0..7 (emerg..debug); RN__LV_NONE outside. */
int rn__level_of_syslog(int severity);

/* A pino/bunyan number: 10 trace, 20 debug, 30 info, 40 warn, 50 error,
 * 60 fatal; RN__LV_NONE for any other number. */
int rn__level_of_pino(long n);

#endif /* RN_LOG_LEVEL_H */
