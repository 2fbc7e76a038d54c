/*
 * Flow record: a flow event as the protobuf FlowRecord of proto/umbra.proto, the form the
 * sensor exports. The message and every sub-message and array live in one caller-owned struct
 * flow_record_buf, so building a record allocates nothing; strings and bytes point into the
 * flow's state, so a record is valid until that flow's next packet. Field meanings are the
 * .proto's comments and docs/FEATURES.md.
 */
#ifndef UMBRA_SENSOR_FLOW_RECORD_H
#define UMBRA_SENSOR_FLOW_RECORD_H

#include "proto/umbra.pb-c.h"
#include "sensor/features.h"
#include "sensor/flow.h"
#include "sensor/payload.h"

struct flow_record_buf {
    Umbra__FlowRecord rec;
    Umbra__FlowKey key;
    Umbra__Tunnel tunnel;
    uint32_t vlans[2];
    Umbra__FlowTiming timing;
    Umbra__DirectionStats dir[2];
    Umbra__TcpInfo tcp;
    Umbra__TcpDirection tcp_dir[2];
    Umbra__Splt splt;
    struct feat_splt_buf splt_copy; /* features_splt()'s copy, read into the three below */
    uint32_t splt_len[FEAT_SPLT_MAX];
    uint32_t splt_iat[FEAT_SPLT_MAX];
    protobuf_c_boolean splt_srv[FEAT_SPLT_MAX];
    float len_markov[FEAT_MARKOV_BINS * FEAT_MARKOV_BINS];
    float iat_markov[FEAT_MARKOV_BINS * FEAT_MARKOV_BINS];
    Umbra__ByteDist bd[2];
    Umbra__TlsInfo tls;
    Umbra__TlsClientHello ch;
    Umbra__TlsServerHello sh;
    uint32_t ciphers[HS_TLS_CIPHERS_MAX];
    uint32_t exts[HS_TLS_EXTS_MAX];
    uint32_t groups[HS_TLS_GROUPS_MAX];
    uint32_t point_fmts[HS_TLS_POINT_FMTS_MAX];
    uint32_t sigalgs[HS_TLS_SIGALGS_MAX];
    uint32_t versions[HS_TLS_VERSIONS_MAX];
    uint32_t server_exts[HS_TLS_SERVER_EXTS_MAX];
    char *alpn[HS_TLS_ALPN_MAX];
    Umbra__SshInfo ssh;
    Umbra__SshAlgorithms ssh_algs;
    Umbra__DnsInfo dns;
    Umbra__DnsAnswer answers[PAYLOAD_DNS_ANSWERS];
    Umbra__DnsAnswer *answer_ptrs[PAYLOAD_DNS_ANSWERS];
    Umbra__HttpInfo http;
    Umbra__QuicInfo quic;
};

/* flow_record_fill() - @b->rec describes event @ev, with the features from @fs and @pl (either
 * may be NULL: features off). */
void flow_record_fill(struct flow_record_buf *b, const struct flow_event *ev,
                      const struct features *fs, struct payload *pl);

#endif
