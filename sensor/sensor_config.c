/*
 * The sensor's option table: names, types, ranges, defaults and one line of help per option.
 * It owns no state; loading and validation are common/config's.
 */
#include "sensor/sensor_config.h"

#include <stddef.h>

#include "common/log.h"

static const struct config_enum_name log_levels[] = {
        {"error", LOG_LEVEL_ERROR},
        {"warn", LOG_LEVEL_WARN},
        {"info", LOG_LEVEL_INFO},
        {"debug", LOG_LEVEL_DEBUG},
        {NULL, 0},
};

#define OFF(field) offsetof(struct sensor_config, field)

static const struct config_option sensor_options[] = {
        {.key = "sensor.id",
         .type = CONFIG_STRING,
         .offset = OFF(id),
         .size = sizeof(((struct sensor_config *)0)->id),
         .def = "sensor",
         .help = "name of this sensor in records, heartbeats and logs"},
        {.key = "capture.file",
         .type = CONFIG_STRING,
         .offset = OFF(capture_file),
         .size = sizeof(((struct sensor_config *)0)->capture_file),
         .help = "pcap or pcapng file to read (same as -r); empty when capturing live"},
        {.key = "capture.interface",
         .type = CONFIG_STRING,
         .offset = OFF(capture_iface),
         .size = sizeof(((struct sensor_config *)0)->capture_iface),
         .help = "interface to capture on (same as -i); empty when reading a file"},
        {.key = "capture.filter",
         .type = CONFIG_STRING,
         .offset = OFF(capture_filter),
         .size = sizeof(((struct sensor_config *)0)->capture_filter),
         .help = "BPF filter expression (same as -f); empty keeps every packet"},
        /* 64 bytes still hold Ethernet + VLAN + IPv6 + TCP headers; 262144 is libpcap's max. */
        {.key = "capture.snaplen",
         .type = CONFIG_INT,
         .offset = OFF(capture_snaplen),
         .min = 64,
         .max = 262144,
         .def = "65535",
         .help = "live capture: bytes kept per packet (-s)"},
        {.key = "capture.buffer_size",
         .type = CONFIG_SIZE,
         .offset = OFF(capture_buffer),
         .min = 1 << 20,
         .max = 1LL << 30, /* libpcap takes an int: 2 GiB would overflow it */
         .def = "64MiB",
         .help = "live capture: kernel buffer; larger rides out bursts without drops (-B)"},
        {.key = "capture.promiscuous",
         .type = CONFIG_BOOL,
         .offset = OFF(capture_promisc),
         .def = "true",
         .help = "live capture: put the interface in promiscuous mode"},
        {.key = "capture.realtime",
         .type = CONFIG_BOOL,
         .offset = OFF(capture_realtime),
         .def = "false",
         .help = "file input: replay at the recorded speed instead of as fast as possible"},
        {.key = "capture.poll_timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(capture_poll),
         .min = 1000000,
         .max = 10000000000LL,
         .def = "100ms",
         .help = "live capture: longest wait for packets before timers and signals are checked"},
        /* 2^31 slots is the index's limit; a million flows take about 200 MB. */
        {.key = "flow.max_flows",
         .type = CONFIG_INT,
         .offset = OFF(flow_max),
         .min = 1,
         .max = 1LL << 30,
         .def = "262144",
         .help = "flows tracked at once; at the cap the longest-idle flow is evicted (counted)"},
        /* Zeek's defaults: 5 min for TCP, 1 min for UDP and ICMP. */
        {.key = "flow.tcp_idle_timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(flow_tcp_idle),
         .min = 1000000000LL,
         .max = 86400000000000LL,
         .def = "300s",
         .help = "a TCP flow ends after this long without a packet"},
        {.key = "flow.udp_idle_timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(flow_udp_idle),
         .min = 1000000000LL,
         .max = 86400000000000LL,
         .def = "60s",
         .help = "a UDP flow ends after this long without a packet"},
        {.key = "flow.other_idle_timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(flow_other_idle),
         .min = 1000000000LL,
         .max = 86400000000000LL,
         .def = "60s",
         .help = "an ICMP or other flow ends after this long without a packet"},
        {.key = "flow.tcp_close_linger",
         .type = CONFIG_DURATION,
         .offset = OFF(flow_close_linger),
         .min = 0,
         .max = 60000000000LL,
         .def = "2s",
         .help = "after FIN both ways or a RST, how long the last packets still join the flow"},
        {.key = "flow.active_timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(flow_active),
         .min = 0,
         .max = 86400000000000LL,
         .def = "300s",
         .help = "a live flow reports an update this often; 0 turns updates off"},
        {.key = "flow.fragment_slots",
         .type = CONFIG_INT,
         .offset = OFF(flow_frag_slots),
         .min = 1,
         .max = 1 << 20,
         .def = "4096",
         .help = "first IP fragments remembered so later fragments count to their flow"},
        {.key = "output.json",
         .type = CONFIG_STRING,
         .offset = OFF(output_json),
         .size = sizeof(((struct sensor_config *)0)->output_json),
         .help = "write flow events as JSON lines to this path (\"-\" = stdout; --json)"},
        {.key = "log.level",
         .type = CONFIG_ENUM,
         .offset = OFF(log_level),
         .names = log_levels,
         .def = "info",
         .help = "least severe level logged: error, warn, info or debug"},
};

static const struct config_schema sensor_schema = {
        .name = "sensor",
        .struct_size = sizeof(struct sensor_config),
        .opts = sensor_options,
        .n_opts = sizeof(sensor_options) / sizeof(sensor_options[0]),
};

const struct config_schema *sensor_config_schema(void)
{
    return &sensor_schema;
}
