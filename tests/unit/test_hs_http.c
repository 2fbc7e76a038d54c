/*
 * hs_http: requests built as text, and the one of tests/data/vlan-qinqinq-zeek.pcap, whose
 * expected fields come from tshark -Y http.request -e http.request.method -e
 * http.request.uri -e http.host -e http.user_agent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/hs_http.h"

#define DATA(name) UMBRA_TEST_DATA_DIR "/" name

static enum hs_http_status parse(const char *text, struct hs_http_request *r)
{
    return hs_http_parse_request((const uint8_t *)text, strlen(text), r);
}

static void test_hs_http_reads_request_line_host_and_user_agent(void **state)
{
    (void)state;
    struct hs_http_request r;
    assert_int_equal(parse("GET /index.html HTTP/1.1\r\nhOsT:  example.com \r\n"
                           "Accept: */*\r\nUSER-AGENT: curl/8.5.0\r\n\r\nbody",
                           &r),
                     HS_HTTP_OK);
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.target, "/index.html");
    assert_int_equal(r.version_minor, 1);
    assert_string_equal(r.host, "example.com");
    assert_string_equal(r.user_agent, "curl/8.5.0");
    assert_true(r.headers_complete);
    assert_false(r.cut);
}

/* Bare LF line ends are accepted (RFC 9112 2.2 allows a recipient to); the first Host counts. */
static void test_hs_http_accepts_lf_and_keeps_the_first_host(void **state)
{
    (void)state;
    struct hs_http_request r;
    assert_int_equal(parse("POST /api HTTP/1.0\nHost: a\nHost: b\n\n", &r), HS_HTTP_OK);
    assert_string_equal(r.method, "POST");
    assert_int_equal(r.version_minor, 0);
    assert_string_equal(r.host, "a");
    assert_string_equal(r.user_agent, "");
}

static void test_hs_http_refuses_what_is_not_a_request(void **state)
{
    (void)state;
    struct hs_http_request r;
    const uint8_t tls[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
    assert_int_equal(hs_http_parse_request(tls, sizeof(tls), &r), HS_HTTP_NOT_HTTP);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\n", &r), HS_HTTP_NOT_HTTP);
    assert_int_equal(parse("GET /x HTTP/2.0\r\n", &r), HS_HTTP_NOT_HTTP);
    assert_int_equal(parse("GET  HTTP/1.1\r\n", &r), HS_HTTP_NOT_HTTP);
    assert_int_equal(parse("GET /x HTTP/1.1 extra\r\n", &r), HS_HTTP_NOT_HTTP);
    assert_int_equal(parse("GET /x HTT", &r), HS_HTTP_INCOMPLETE);
    assert_int_equal(parse("", &r), HS_HTTP_INCOMPLETE);
}

/* A header cut by the end of the bytes is not read; a target over 255 bytes is cut, flagged. */
static void test_hs_http_cut_input_and_long_fields(void **state)
{
    (void)state;
    struct hs_http_request r;
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: exam", &r), HS_HTTP_OK);
    assert_string_equal(r.host, "");
    assert_false(r.headers_complete);

    static char big[400];
    memcpy(big, "GET /", 5);
    memset(big + 5, 'a', 300);
    memcpy(big + 305, " HTTP/1.1\r\n\r\n", 13);
    assert_int_equal(parse(big, &r), HS_HTTP_OK);
    assert_int_equal(strlen(r.target), HS_HTTP_FIELD_MAX - 1);
    assert_true(r.cut);
}

static void on_frame(void *ctx, const struct capture_frame *f)
{
    struct hs_http_request *r = ctx;
    struct pkt p;
    if (decode_frame(f, &p) == DECODE_OK && p.proto == 6 && p.dport == 80 && p.payload_caplen > 0 &&
        r->method[0] == '\0')
        assert_int_equal(hs_http_parse_request(p.payload, p.payload_caplen, r), HS_HTTP_OK);
}

static void test_hs_http_agrees_with_tshark_on_a_real_capture(void **state)
{
    (void)state;
    struct hs_http_request r;
    memset(&r, 0, sizeof(r));
    struct capture_config cfg = {.mode = CAPTURE_OFFLINE, .source = DATA("vlan-qinqinq-zeek.pcap")};
    struct capture *cap = capture_create(&cfg, on_frame, &r, NULL);
    assert_non_null(cap);
    assert_int_equal(capture_run(cap, 0), 0);
    capture_destroy(&cap);
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.target, "/download/CHANGES.bro-aux.txt");
    assert_string_equal(r.host, "bro.org");
    assert_string_equal(r.user_agent, "Wget/1.14 (darwin12.2.0)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hs_http_reads_request_line_host_and_user_agent),
            cmocka_unit_test(test_hs_http_accepts_lf_and_keeps_the_first_host),
            cmocka_unit_test(test_hs_http_refuses_what_is_not_a_request),
            cmocka_unit_test(test_hs_http_cut_input_and_long_fields),
            cmocka_unit_test(test_hs_http_agrees_with_tshark_on_a_real_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
