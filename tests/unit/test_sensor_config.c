/*
 * sensor_config: the sensor's option table loads its defaults, the shipped example file, and
 * command-line overrides, and refuses bad values with file, line and key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "sensor/sensor_config.h"

static void test_sensor_config_defaults_are_valid(void **state)
{
    (void)state;
    struct sensor_config cfg;
    struct config_error err;
    assert_int_equal(config_set_defaults(sensor_config_schema(), &cfg, &err), 0);
    assert_string_equal(cfg.id, "sensor");
    assert_string_equal(cfg.capture_file, "");
    assert_int_equal(cfg.capture_snaplen, 65535);
    assert_int_equal(cfg.capture_buffer, 64ULL << 20);
    assert_true(cfg.capture_promisc);
    assert_false(cfg.capture_realtime);
    assert_int_equal(cfg.capture_poll, 100 * CLOCK_NS_PER_MS);
    assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
    assert_int_equal(cfg.flow_max, 262144);
    assert_int_equal(cfg.flow_tcp_idle, 300 * CLOCK_NS_PER_SEC);
    assert_int_equal(cfg.flow_udp_idle, 60 * CLOCK_NS_PER_SEC);
    assert_int_equal(cfg.flow_close_linger, 2 * CLOCK_NS_PER_SEC);
    assert_int_equal(cfg.flow_active, 300 * CLOCK_NS_PER_SEC);
    assert_string_equal(cfg.output_json, "");
    config_free(sensor_config_schema(), &cfg);
}

static void test_sensor_config_example_file_loads(void **state)
{
    (void)state;
    struct sensor_config cfg;
    struct config_error err;
    int rc = config_load_file(sensor_config_schema(),
                              UMBRA_SOURCE_DIR "/deploy/config/sensor.example.yaml", &cfg, &err);
    if (rc != 0)
        fail_msg("example config: %s", err.msg);
    assert_string_equal(cfg.id, "branch-a");
    assert_string_equal(cfg.capture_iface, "eth0");
    assert_int_equal(cfg.capture_snaplen, 65535);
    config_free(sensor_config_schema(), &cfg);
}

static void test_sensor_config_command_line_overrides_and_checks(void **state)
{
    (void)state;
    struct sensor_config cfg;
    struct config_error err;
    const struct config_schema *schema = sensor_config_schema();
    assert_int_equal(config_set_defaults(schema, &cfg, &err), 0);
    assert_int_equal(config_set(schema, &cfg, "capture.snaplen", "1500", &err), 0);
    assert_int_equal(cfg.capture_snaplen, 1500);
    assert_int_equal(config_set(schema, &cfg, "log.level", "debug", &err), 0);
    assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
    assert_int_equal(config_set(schema, &cfg, "capture.snaplen", "10", &err), UMBRA_ECONFIG);
    assert_string_equal(err.key, "capture.snaplen");
    assert_int_equal(config_set(schema, &cfg, "capture.nosuch", "1", &err), UMBRA_ECONFIG);
    config_free(schema, &cfg);
}

static void test_sensor_config_bad_file_names_file_line_and_key(void **state)
{
    (void)state;
    static const char yaml[] = "capture:\n  snaplen: 65535\n  promiscuous: maybe\n";
    struct sensor_config cfg;
    struct config_error err;
    int rc = config_load_buffer(sensor_config_schema(), "s.yaml", yaml, sizeof(yaml) - 1, &cfg,
                                &err);
    assert_int_equal(rc, UMBRA_ECONFIG);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.key, "capture.promiscuous");
    assert_non_null(strstr(err.msg, "s.yaml:3: capture.promiscuous: "));
    config_free(sensor_config_schema(), &cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sensor_config_defaults_are_valid),
            cmocka_unit_test(test_sensor_config_example_file_loads),
            cmocka_unit_test(test_sensor_config_command_line_overrides_and_checks),
            cmocka_unit_test(test_sensor_config_bad_file_names_file_line_and_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
