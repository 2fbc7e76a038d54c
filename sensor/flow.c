/*
 * Flow: names of end reasons and the accessors that turn the canonical key's lo/hi endpoints
 * into client/server. It owns no state; the flow table owns every struct flow.
 */
#include "sensor/flow.h"

static const char *const end_names[] = {
#define FLOW_END_NAME(name, str) str,
        FLOW_END_LIST(FLOW_END_NAME)
#undef FLOW_END_NAME
};

const char *flow_end_reason_name(enum flow_end_reason reason)
{
    if ((unsigned)reason < FLOW_END_COUNT)
        return end_names[reason];
    return "unknown";
}

const uint8_t *flow_client_addr(const struct flow *f)
{
    return f->client_is_lo ? f->key.lo_addr : f->key.hi_addr;
}

const uint8_t *flow_server_addr(const struct flow *f)
{
    return f->client_is_lo ? f->key.hi_addr : f->key.lo_addr;
}

uint16_t flow_client_port(const struct flow *f)
{
    return f->client_is_lo ? f->key.lo_port : f->key.hi_port;
}

uint16_t flow_server_port(const struct flow *f)
{
    return f->client_is_lo ? f->key.hi_port : f->key.lo_port;
}
