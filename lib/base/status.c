/*
 * status.c - status codes, their names and messages, and the version.
 *
 * The names and strings come from RN_STATUS_MAP in runnel.h, the single list
 * of codes, so a code can never exist without its message.
 */
#include "runnel_internal.h"

unsigned rn_version_number(void)
{
    return RN_VERSION_NUMBER;
}

const char *rn_version_string(void)
{
    return RN_VERSION_STRING;
}

const char *rn_strerror(int status)
{
    switch (status) {
#define RN_STATUS_MSG_(name, value, msg) \
    case RN_##name:                       \
        return msg;
        RN_STATUS_MAP(RN_STATUS_MSG_)
#undef RN_STATUS_MSG_
    }
    return "unknown status";
}

const char *rn_status_name(int status)
{
    switch (status) {
#define RN_STATUS_NAME_(name, value, msg) \
    case RN_##name:                        \
        return "RN_" #name;
        RN_STATUS_MAP(RN_STATUS_NAME_)
#undef RN_STATUS_NAME_
    }
    return NULL;
}
