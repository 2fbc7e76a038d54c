/*
 * Flow pipe: the ring of packets waiting for their flow's cache lines, and the two prefetch
 * stages. It owns no flow state; every decision is the flow table's.
 */
#include "sensor/flow_pipe.h"

#include <string.h>

_Static_assert((FLOW_PIPE_DEPTH & (FLOW_PIPE_DEPTH - 1)) == 0, "FLOW_PIPE_DEPTH: power of two");

#define MASK (FLOW_PIPE_DEPTH - 1)

void flow_pipe_init(struct flow_pipe *pipe, struct flow_table *ft)
{
    memset(pipe, 0, sizeof(*pipe));
    pipe->ft = ft;
}

void flow_pipe_keep_payload(struct flow_pipe *pipe, uint8_t *store, uint32_t cap)
{
    pipe->payload_store = store;
    pipe->payload_cap = store != NULL ? cap : 0;
    pipe->payload_next = 0;
}

static void account_oldest(struct flow_pipe *pipe)
{
    struct flow_pipe_entry *e = &pipe->ring[pipe->tail & MASK];
    flow_table_packet_ref(pipe->ft, &e->pkt, &e->ref);
    pipe->tail++;
}

struct pkt *flow_pipe_slot(struct flow_pipe *pipe)
{
    if (pipe->head - pipe->tail == FLOW_PIPE_DEPTH)
        account_oldest(pipe);
    return &pipe->ring[pipe->head & MASK].pkt;
}

void flow_pipe_commit(struct flow_pipe *pipe)
{
    struct flow_pipe_entry *e = &pipe->ring[pipe->head & MASK];
    /* The frame's bytes are gone once the capture callback returns: copy what payload
     * features read, drop the rest. */
    if (pipe->payload_cap != 0 && e->pkt.payload != NULL) {
        uint32_t n = e->pkt.payload_caplen;
        if (n > pipe->payload_cap)
            n = pipe->payload_cap;
        /* At most FLOW_PIPE_DEPTH - 1 earlier copies are still in the pipe, of at most
         * ROUND(cap) bytes each, and the store has room for two more: wherever this one lands,
         * wrapping to the start when the end is too near, it overwrites none of them. */
        size_t at = pipe->payload_next;
        if (at + n > FLOW_PIPE_STORE(pipe->payload_cap))
            at = 0;
        uint8_t *dst = pipe->payload_store + at;
        pipe->payload_next = (uint32_t)(at + FLOW_PIPE_ROUND(n));
        memcpy(dst, e->pkt.payload, n);
        e->pkt.payload = dst;
        e->pkt.payload_caplen = n;
    } else {
        e->pkt.payload = NULL;
        e->pkt.payload_caplen = 0;
    }
    e->pkt.tcp_opts = NULL;
    e->pkt.tcp_opts_len = 0;
    flow_table_ref(pipe->ft, &e->pkt, &e->ref);
    pipe->head++;
    /* A third of the way through, the bucket has arrived: fetch the flow. Two thirds: the flow
     * has arrived: fetch what moving it on its timeout list will write. */
    uint32_t held = pipe->head - pipe->tail;
    if (held > FLOW_PIPE_DEPTH / 3) {
        const struct flow_pipe_entry *e1 = &pipe->ring[(pipe->head - FLOW_PIPE_DEPTH / 3) & MASK];
        flow_table_ref_prefetch(pipe->ft, &e1->ref);
    }
    if (held > 2 * FLOW_PIPE_DEPTH / 3) {
        const struct flow_pipe_entry *e2 =
                &pipe->ring[(pipe->head - 2 * FLOW_PIPE_DEPTH / 3) & MASK];
        flow_table_ref_prefetch_links(pipe->ft, &e2->pkt, &e2->ref);
    }
}

void flow_pipe_push(struct flow_pipe *pipe, const struct pkt *pkt)
{
    *flow_pipe_slot(pipe) = *pkt;
    flow_pipe_commit(pipe);
}

void flow_pipe_drain(struct flow_pipe *pipe)
{
    while (pipe->tail != pipe->head)
        account_oldest(pipe);
}
