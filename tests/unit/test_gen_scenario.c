/*
 * Generator scenarios: the ready scenarios load, and each kind of mistake is refused with the
 * key's path and the reason, never half-loaded. Expected values are the scenario files' own
 * numbers, read by eye.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/gen/gen_scenario.h"

#define BASE                                                                                       \
    "name: t\n"                                                                                    \
    "datacenter: {subnet: 10.0.0.0/24, servers: [{name: dc1, role: dc}, {name: fs1, role: "        \
    "file}]}\n"                                                                                    \
    "sites:\n  - {name: hq, subnet: 10.1.0.0/24, hosts: 20}\n"                                     \
    "internet:\n  - {name: c2.example.net, kind: service}\n"

/* Load @text as a scenario file; the error message into @err. */
static int load_text(const char *text, struct gen_scenario *sc, char *err, size_t cap)
{
    char path[] = "/tmp/umbra-test-scenario.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    int rc = gen_scenario_load(path, sc, err, cap);
    unlink(path);
    return rc;
}

static void expect_error(const char *text, const char *where, const char *why)
{
    static struct gen_scenario sc;
    char err[512];
    assert_int_equal(load_text(text, &sc, err, sizeof err), -22 /* EINVAL */);
    if (strstr(err, where) == NULL || strstr(err, why) == NULL)
        fail_msg("error '%s' lacks '%s' or '%s'", err, where, why);
}

static void test_gen_scenario_ready_scenarios_load(void **state)
{
    (void)state;
    static struct gen_scenario sc;
    char err[512], path[512];
    snprintf(path, sizeof path, "%s/tests/scenarios/small.yaml", UMBRA_SOURCE_DIR);
    assert_int_equal(gen_scenario_load(path, &sc, err, sizeof err), 0);
    assert_int_equal(sc.nsites, 2);
    assert_int_equal(sc.sites[1].hosts, 20);
    assert_int_equal(sc.duration_ns, 15 * 60 * 1000000000ull);
    assert_int_equal(sc.ncampaigns, 6);
    assert_int_equal(sc.campaigns[4].type, GEN_CAMPAIGN_LATERAL);
    assert_int_equal(sc.campaigns[4].nchain, 5);
    assert_int_equal(sc.campaigns[4].hop_via[1], GEN_VIA_WINRM);
    assert_int_equal(sc.campaigns[3].ports[2].first, 3389);
    assert_int_equal(sc.dests[8].ttl_s, 30);  /* cdn-assets.example-c2.net, ttl: 30s */
    assert_int_equal(sc.dests[0].ttl_s, 300); /* a web site's default */
    snprintf(path, sizeof path, "%s/tests/scenarios/enterprise-day.yaml", UMBRA_SOURCE_DIR);
    assert_int_equal(gen_scenario_load(path, &sc, err, sizeof err), 0);
    assert_int_equal(sc.sites[0].hosts + sc.sites[1].hosts + sc.sites[2].hosts, 500);
    snprintf(path, sizeof path, "%s/tests/scenarios/bench.yaml", UMBRA_SOURCE_DIR);
    assert_int_equal(gen_scenario_load(path, &sc, err, sizeof err), 0);
}

static void test_gen_scenario_mistakes_name_the_key(void **state)
{
    (void)state;
    expect_error(BASE "benign: {ntp: {interval: 0s}}\n", "benign.ntp.interval", "at least 1s");
    expect_error("name: t\ndatacenter: {subnet: 10.0.0.0/24, servers: [{name: dc1, role: dc}]}\n"
                 "sites: [{name: a, subnet: 10.0.0.0/16}]\n",
                 "sites[0].subnet", "overlaps datacenter.subnet");
    expect_error("name: t\ndatacenter: {subnet: 10.0.0.0/24, servers: [{name: dc1, role: dc}]}\n"
                 "sites: [{name: a, subnet: 10.9.0.0/28, hosts: 6}]\n",
                 "sites[0].hosts", "out of range [1, 5]");
    expect_error("name: t\ndatacenter: {subnet: 10.0.0.0/24, servers: [{name: dc1, role: dc}]}\n"
                 "sites: [{name: datacenter, subnet: 10.9.0.0/24}]\n",
                 "sites[0].name", "sensor point");
    expect_error(BASE "campaigns: [{id: x, type: worm, host: hq-1}]\n", "campaigns[0].type",
                 "expected one of beacon, shell, scan, lateral, exfil");
    expect_error(BASE "campaigns: [{id: x, type: beacon, host: hq-21, c2: c2.example.net}]\n",
                 "campaigns[0].host", "neither a workstation");
    expect_error(BASE "campaigns: [{id: x, type: beacon, host: hq-1}]\n", "campaigns[0].c2",
                 "missing");
    expect_error(BASE "campaigns: [{id: x, type: lateral, chain: [hq-1, fs9]}]\n",
                 "campaigns[0].chain[1]", "'fs9'");
    expect_error(BASE "campaigns: [{id: x, type: lateral, chain: [hq-1, fs1, dc1], "
                      "hops: [smb, ssh, rdp]}]\n",
                 "campaigns[0].hops", "one per hop (2)");
    expect_error(BASE "campaigns: [{id: x, type: scan, host: hq-1, targets: [10.1.0.0/24], "
                      "ports: [0-80]}]\n",
                 "campaigns[0].ports[0]", "expected a port");
    expect_error(BASE "campaigns: [{id: x, type: shell, host: hq-1, c2: c2.example.net, "
                      "key_gap: 0s}]\n",
                 "campaigns[0].key_gap", "at least 1ms");
    expect_error(BASE "campaigns: [{id: x, type: exfil, host: hq-1, c2: c2.example.net, "
                      "stage_from: [hq-2]}]\n",
                 "campaigns[0].stage_from[0]", "not a server");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_scenario_ready_scenarios_load),
            cmocka_unit_test(test_gen_scenario_mistakes_name_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
