/* Configuration: every MYNET_* variable with good and bad values, the
 * parsers underneath, and reading an environment vector.  Every error
 * message must name the variable it is about. */
#include "helpers/run.h"
#include <mynet/config.h>

#include "wire/ipv4.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Set name=value on a default config and expect it to be refused with a
 * message naming the variable; the config must stay usable. */
static void expect_rejected(const char *name, const char *value)
{
  struct mynet_config c;
  mynet_config_defaults(&c);
  char err[512] = "";
  int rc = mynet_config_set(&c, name, value, err, sizeof(err));
  ck_assert_msg(rc == -EINVAL, "%s='%s' accepted (rc %d)", name, value, rc);
  ck_assert_msg(strstr(err, name) != NULL, "%s='%s': message does not name it: '%s'", name, value,
                err);
}

static struct mynet_config expect_accepted(const char *name, const char *value)
{
  struct mynet_config c;
  mynet_config_defaults(&c);
  char err[512] = "";
  int rc = mynet_config_set(&c, name, value, err, sizeof(err));
  ck_assert_msg(rc == 0, "%s='%s' refused: %s", name, value, err);
  return c;
}

START_TEST(test_config_defaults_are_what_the_tools_expect)
{
  struct mynet_config c;
  mynet_config_defaults(&c);
  ck_assert_str_eq(c.tap, "mynet0"); /* what tools/mynet and the e2e tests expect */
  ck_assert_uint_eq(c.addr, mn_ip4(192, 0, 2, 2));
  ck_assert_uint_eq(c.prefix, 24);
  ck_assert_uint_eq(c.gw, 0);
  ck_assert(!c.mac_set);
  ck_assert_uint_eq(c.mtu, 1500);
  ck_assert_int_eq(c.nroutes, 0);
  ck_assert_int_eq(c.log_level, MYNET_LOG_WARN);
  ck_assert_str_eq(c.log_file, "");
  ck_assert_str_eq(c.pcap, "");
  ck_assert(!c.faults.enabled);
  ck_assert_int_eq(c.linger, MYNET_SEC(10));
}
END_TEST

START_TEST(test_config_ipv4_parser_takes_dotted_decimal_only)
{
  static const struct {
    const char *s;
    uint32_t a;
  } good[] = {
      {"0.0.0.0", 0},
      {"255.255.255.255", 0xffffffffu},
      {"192.0.2.1", 0xc0000201u},
      {"10.0.0.10", 0x0a00000au},
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    uint32_t a = 1;
    ck_assert_msg(mynet_parse_ipv4(good[i].s, &a) == 0, "'%s' refused", good[i].s);
    ck_assert_uint_eq(a, good[i].a);
  }
  static const char *const bad[] = {
      "",         "1.2.3",      "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04",
      "1..3.4",   ".1.2.3",     "1.2.3.",    " 1.2.3.4",  "1.2.3.4 ",  "a.b.c.d",  "1.2.3.4/24",
      "-1.2.3.4", "1234.1.1.1", "0x1.2.3.4", "1.2.3.4\n", "1.2.3.+4",  "00.0.0.0",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint32_t a = 0x12345678;
    ck_assert_msg(mynet_parse_ipv4(bad[i], &a) == -EINVAL, "'%s' accepted", bad[i]);
    ck_assert_uint_eq(a, 0x12345678); /* untouched on error */
  }
}
END_TEST

START_TEST(test_config_cidr_parser_needs_an_address_and_a_prefix_up_to_32)
{
  uint32_t a;
  uint8_t p;
  ck_assert_int_eq(mynet_parse_cidr("10.0.0.2/24", &a, &p), 0);
  ck_assert_uint_eq(a, mn_ip4(10, 0, 0, 2));
  ck_assert_uint_eq(p, 24);
  ck_assert_int_eq(mynet_parse_cidr("1.2.3.4/0", &a, &p), 0);
  ck_assert_uint_eq(p, 0);
  ck_assert_int_eq(mynet_parse_cidr("1.2.3.4/32", &a, &p), 0);
  ck_assert_uint_eq(p, 32);
  static const char *const bad[] = {
      "1.2.3.4",     "1.2.3.4/33",   "1.2.3.4/",     "/24",           "1.2.3.4/2a",
      "1.2.3.4/-1",  "300.1.2.3/24", "1.2.3.4/24/1", "1.2.3.4//24",   "01.2.3.4/24",
      "1.2.3.4 /24", "1.2.3.4/ 24",  "1.2.3.4/100",  "1111.2.3.4/24", "255.255.255.2555/1",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_msg(mynet_parse_cidr(bad[i], &a, &p) == -EINVAL, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_config_mac_parser_takes_six_colon_separated_hex_bytes)
{
  uint8_t mac[6];
  ck_assert_int_eq(mynet_parse_mac("02:00:5e:10:0A:fF", mac), 0);
  static const uint8_t want[6] = {0x02, 0x00, 0x5e, 0x10, 0x0a, 0xff};
  ck_assert_mem_eq(mac, want, 6);
  static const char *const bad[] = {
      "",
      "02:00:5e:10:00",
      "02:00:5e:10:00:01:02",
      "02-00-5e-10-00-01",
      "0200.5e10.0001",
      "02:00:5e:10:00:0g",
      "2:0:5e:10:0:1",
      "02:00:5e:10:00:01 ",
      " 02:00:5e:10:00:01",
      "02:00:5e:10:00;01",
      "+2:00:5e:10:00:01",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_msg(mynet_parse_mac(bad[i], mac) == -EINVAL, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_config_duration_parser_takes_us_ms_s_or_bare_seconds)
{
  static const struct {
    const char *s;
    mynet_time v;
  } good[] = {
      {"10s", MYNET_SEC(10)}, {"500ms", MYNET_MS(500)},
      {"250us", 250},         {"0", 0},
      {"7", MYNET_SEC(7)},    {"0ms", 0},
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    mynet_time v = -1;
    ck_assert_msg(mynet_parse_duration(good[i].s, &v) == 0, "'%s' refused", good[i].s);
    ck_assert_int_eq(v, good[i].v);
  }
  static const char *const bad[] = {"",      "ms",  "10m", "10 s", "-1",           "1.5s",
                                    "10sec", "10S", "s10", "10ns", "99999999999s", "10ms "};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    mynet_time v;
    ck_assert_msg(mynet_parse_duration(bad[i], &v) == -EINVAL, "'%s' accepted", bad[i]);
  }
}
END_TEST

START_TEST(test_config_addr_accepts_a_host_address_with_prefix)
{
  struct mynet_config c = expect_accepted("MYNET_ADDR", "10.0.0.2/24");
  ck_assert_uint_eq(c.addr, mn_ip4(10, 0, 0, 2));
  ck_assert_uint_eq(c.prefix, 24);
  c = expect_accepted("MYNET_ADDR", "10.0.0.1/32");
  ck_assert_uint_eq(c.prefix, 32);
  /* RFC 3021: both addresses of a /31 are hosts. */
  c = expect_accepted("MYNET_ADDR", "10.0.0.0/31");
  ck_assert_uint_eq(c.addr, mn_ip4(10, 0, 0, 0));
  expect_accepted("MYNET_ADDR", "10.0.0.1/31");
  expect_accepted("MYNET_ADDR", "10.255.255.254/8");
}
END_TEST

START_TEST(test_config_addr_rejects_malformed_and_non_host_addresses)
{
  static const char *const bad[] = {
      "300.1.2.3/24",  "1.2.3.4",      "1.2.3.4/33",  "01.2.3.4/24", "",
      "10.0.0.0/24",   /* network */
      "10.0.0.255/24", /* broadcast */
      "10.0.0.2/0",    "0.0.0.0/8",    "127.0.0.1/8", "224.0.0.1/4", "255.255.255.255/32",
      "0.1.2.3/8",     "10.0.0.2/24 ", "10.0.0.2",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_rejected("MYNET_ADDR", bad[i]);
}
END_TEST

START_TEST(test_config_gw_accepts_only_a_unicast_address)
{
  struct mynet_config c = expect_accepted("MYNET_GW", "192.0.2.1");
  ck_assert_uint_eq(c.gw, mn_ip4(192, 0, 2, 1));
  static const char *const bad[] = {"192.0.2.1/24", "255.255.255.255", "0.0.0.0", "127.0.0.1",
                                    "224.0.0.1",    "192.0.2",         "",        "gw"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_rejected("MYNET_GW", bad[i]);
}
END_TEST

START_TEST(test_config_mac_accepts_only_a_unicast_address)
{
  struct mynet_config c = expect_accepted("MYNET_MAC", "02:00:00:00:00:01");
  ck_assert(c.mac_set);
  static const uint8_t want[6] = {2, 0, 0, 0, 0, 1};
  ck_assert_mem_eq(c.mac, want, 6);
  expect_accepted("MYNET_MAC", "AA:BB:CC:DD:EE:FF"); /* 0xaa is even: unicast */
  static const char *const bad[] = {
      "01:00:5e:00:00:01", /* multicast */
      "ff:ff:ff:ff:ff:ff", /* broadcast */
      "00:00:00:00:00:00", "02:00:00:00:00", "02-00-00-00-00-01", "02:00:00:00:00:0g", ""};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_rejected("MYNET_MAC", bad[i]);
}
END_TEST

START_TEST(test_config_mtu_accepts_68_to_9000)
{
  ck_assert_uint_eq(expect_accepted("MYNET_MTU", "68").mtu, 68);
  ck_assert_uint_eq(expect_accepted("MYNET_MTU", "1500").mtu, 1500);
  ck_assert_uint_eq(expect_accepted("MYNET_MTU", "9000").mtu, 9000);
  static const char *const bad[] = {"0",    "67",    "9001",  "abc",   "",
                                    "-1",   "1500 ", "1500b", "65536", "99999999999999999999",
                                    "0x5dc"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_rejected("MYNET_MTU", bad[i]);
}
END_TEST

START_TEST(test_config_routes_accept_comma_or_semicolon_separated_entries)
{
  struct mynet_config c =
      expect_accepted("MYNET_ROUTES", "10.1.0.0/16 via 192.0.2.254,default via 192.0.2.1");
  ck_assert_int_eq(c.nroutes, 2);
  ck_assert_uint_eq(c.routes[0].net, mn_ip4(10, 1, 0, 0));
  ck_assert_uint_eq(c.routes[0].prefix, 16);
  ck_assert_uint_eq(c.routes[0].via, mn_ip4(192, 0, 2, 254));
  ck_assert_uint_eq(c.routes[1].net, 0);
  ck_assert_uint_eq(c.routes[1].prefix, 0);
  ck_assert_uint_eq(c.routes[1].via, mn_ip4(192, 0, 2, 1));
  c = expect_accepted("MYNET_ROUTES", "10.1.2.3/16 via 192.0.2.254; 10.2.0.0/15 via 192.0.2.253,");
  ck_assert_int_eq(c.nroutes, 2);
  ck_assert_uint_eq(c.routes[0].net, mn_ip4(10, 1, 0, 0)); /* host bits masked off */
  ck_assert_uint_eq(c.routes[1].prefix, 15);
  ck_assert_int_eq(expect_accepted("MYNET_ROUTES", "").nroutes, 0);
  /* The limit is MYNET_MAX_ROUTES entries. */
  char many[2048] = "";
  for (int i = 0; i < MYNET_MAX_ROUTES; i++) {
    char e[64];
    snprintf(e, sizeof(e), "%s10.%d.0.0/16 via 192.0.2.1", i ? "," : "", i);
    strcat(many, e);
  }
  ck_assert_int_eq(expect_accepted("MYNET_ROUTES", many).nroutes, MYNET_MAX_ROUTES);
  strcat(many, ",10.99.0.0/16 via 192.0.2.1");
  expect_rejected("MYNET_ROUTES", many);
}
END_TEST

START_TEST(test_config_routes_reject_bad_forms)
{
  static const char *const bad[] = {
      "10.1.0.0/16 192.0.2.254",         /* no "via" */
      "10.1.0.0/16 gw 192.0.2.254",      /* wrong keyword */
      "10.1.0.0/16 via",                 /* no gateway */
      "10.1.0.0/16",                     /* nothing but a network */
      "10.1.0.0/33 via 192.0.2.254",     /* prefix */
      "10.1.0.0 via 192.0.2.254",        /* no prefix */
      "10.1.0.0/16 via 192.0.2",         /* gateway */
      "10.1.0.0/16 via 192.0.2.254/24",  /* gateway with a prefix */
      "10.1.0.0/16 via 192.0.2.254 now", /* trailing words */
      "10.1.0.0/16 via 192.0.2.254,,",   /* an empty entry */
      "default via default",
      "via 192.0.2.254",
      "10.1.0.0/16 via 192.0.2.254, 10.2.0.0/16",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_rejected("MYNET_ROUTES", bad[i]);
  /* An entry longer than any valid one is refused without overflowing. */
  char huge[300];
  memset(huge, 'x', sizeof(huge) - 1);
  huge[sizeof(huge) - 1] = 0;
  expect_rejected("MYNET_ROUTES", huge);
}
END_TEST

START_TEST(test_config_log_takes_a_level_name)
{
  static const char *const levels[] = {"error", "warn", "info", "debug", "trace"};
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(expect_accepted("MYNET_LOG", levels[i]).log_level, i);
  static const char *const bad[] = {"verbose", "WARN", "", "3", "warning", "info "};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_rejected("MYNET_LOG", bad[i]);
}
END_TEST

START_TEST(test_config_tap_log_file_and_pcap_take_names_and_paths)
{
  ck_assert_str_eq(expect_accepted("MYNET_TAP", "tap0").tap, "tap0");
  ck_assert_str_eq(expect_accepted("MYNET_TAP", "none").tap, ""); /* loopback only */
  ck_assert_str_eq(expect_accepted("MYNET_TAP", "abcdefghijklmno").tap, "abcdefghijklmno");
  ck_assert_str_eq(expect_accepted("MYNET_TAP", "").tap, ""); /* empty: loopback only too */
  static const char *const bad_tap[] = {"abcdefghijklmnop", "a/b", "a b", "tap0:1", "a\tb"};
  for (size_t i = 0; i < sizeof(bad_tap) / sizeof(bad_tap[0]); i++)
    expect_rejected("MYNET_TAP", bad_tap[i]);

  ck_assert_str_eq(expect_accepted("MYNET_LOG_FILE", "/tmp/mynet.log").log_file, "/tmp/mynet.log");
  ck_assert_str_eq(expect_accepted("MYNET_PCAP", "out.pcap").pcap, "out.pcap");
  expect_rejected("MYNET_LOG_FILE", "");
  expect_rejected("MYNET_PCAP", "");
  static char longpath[MYNET_PATH_MAX + 1];
  memset(longpath, 'a', MYNET_PATH_MAX);
  expect_rejected("MYNET_PCAP", longpath);
  longpath[MYNET_PATH_MAX - 1] = 0;
  ck_assert_uint_eq(strlen(expect_accepted("MYNET_PCAP", longpath).pcap), MYNET_PATH_MAX - 1);
}
END_TEST

START_TEST(test_config_linger_takes_a_duration)
{
  ck_assert_int_eq(expect_accepted("MYNET_LINGER", "0").linger, 0);
  ck_assert_int_eq(expect_accepted("MYNET_LINGER", "10s").linger, MYNET_SEC(10));
  ck_assert_int_eq(expect_accepted("MYNET_LINGER", "500ms").linger, MYNET_MS(500));
  static const char *const bad[] = {"abc", "10m", "-1", "", "1.5s", "10 s"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_rejected("MYNET_LINGER", bad[i]);
}
END_TEST

START_TEST(test_config_dns_takes_an_address_and_an_optional_port)
{
  struct mynet_config c = expect_accepted("MYNET_DNS", "192.0.2.1");
  ck_assert_uint_eq(c.dns, mn_ip4(192, 0, 2, 1));
  ck_assert_uint_eq(c.dns_port, 53);
  c = expect_accepted("MYNET_DNS", "127.0.0.1:5353");
  ck_assert_uint_eq(c.dns, mn_ip4(127, 0, 0, 1));
  ck_assert_uint_eq(c.dns_port, 5353);
  ck_assert_uint_eq(expect_accepted("MYNET_DNS", "10.0.0.53:65535").dns_port, 65535);
  static const char *const bad[] = {"",
                                    "dns.example",
                                    "192.0.2",
                                    "192.0.2.1:",
                                    "192.0.2.1:0",
                                    "192.0.2.1:65536",
                                    "192.0.2.1:53x",
                                    "192.0.2.1:53:53",
                                    "0.0.0.0",
                                    "255.255.255.255",
                                    "224.0.0.251",
                                    "[::1]:53",
                                    "2001:db8::53",
                                    "192.0.2.1 "};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_rejected("MYNET_DNS", bad[i]);
  struct mynet_config d;
  mynet_config_defaults(&d);
  ck_assert_uint_eq(d.dns, 0);
}
END_TEST

START_TEST(test_config_faults_full_spec_becomes_parts_per_million)
{
  struct mynet_config c = expect_accepted(
      "MYNET_FAULTS", "loss=2%,dup=1%,reorder=5%,delay=20ms±10ms,corrupt=0.1%,seed=42");
  const struct mynet_faults_cfg *f = &c.faults;
  ck_assert(f->enabled);
  ck_assert_uint_eq(f->loss_ppm, 20000);
  ck_assert_uint_eq(f->dup_ppm, 10000);
  ck_assert_uint_eq(f->reorder_ppm, 50000);
  ck_assert_uint_eq(f->corrupt_ppm, 1000);
  ck_assert_int_eq(f->delay, MYNET_MS(20));
  ck_assert_int_eq(f->jitter, MYNET_MS(10));
  ck_assert_uint_eq(f->seed, 42);
}
END_TEST

START_TEST(test_config_faults_edge_values)
{
  struct mynet_faults_cfg f;
  char err[256];
  ck_assert_int_eq(mynet_parse_faults("loss=100%", &f, err, sizeof(err)), 0);
  ck_assert_uint_eq(f.loss_ppm, 1000000);
  ck_assert_int_eq(mynet_parse_faults("loss=0.0001%", &f, err, sizeof(err)), 0);
  ck_assert_uint_eq(f.loss_ppm, 1);
  ck_assert_int_eq(mynet_parse_faults("dup=100.0%", &f, err, sizeof(err)), 0);
  ck_assert_uint_eq(f.dup_ppm, 1000000);
  ck_assert_int_eq(mynet_parse_faults("delay=20ms+-10ms", &f, err, sizeof(err)), 0);
  ck_assert_int_eq(f.delay, MYNET_MS(20));
  ck_assert_int_eq(f.jitter, MYNET_MS(10));
  ck_assert(f.enabled);
  ck_assert_int_eq(mynet_parse_faults("delay=5ms", &f, err, sizeof(err)), 0);
  ck_assert_int_eq(f.jitter, 0);
  ck_assert(f.enabled);
  /* Nothing that impairs the link: the device is not wrapped at all. */
  ck_assert_int_eq(mynet_parse_faults("", &f, err, sizeof(err)), 0);
  ck_assert(!f.enabled);
  ck_assert_int_eq(mynet_parse_faults("seed=7,loss=0%", &f, err, sizeof(err)), 0);
  ck_assert(!f.enabled);
  ck_assert_uint_eq(f.seed, 7);
  /* Parsing starts from a clean slate every time. */
  ck_assert_int_eq(mynet_parse_faults("dup=1%", &f, err, sizeof(err)), 0);
  ck_assert_uint_eq(f.loss_ppm, 0);
  ck_assert_uint_eq(f.seed, 0);
}
END_TEST

START_TEST(test_config_faults_reject_bad_keys_and_values)
{
  static const char *const bad[] = {
      "lose=2%",       "loss=2",      "loss=101%",
      "loss=2.12345%", "loss",        "delay=10ms±20ms",
      "delay=abc",     "seed=-1",     "seed=99999999999",
      "loss=%",        "loss=.5%",    "loss=2%,,dup=1%",
      "=2%",           "delay=20ms±", "delay=±10ms",
      "corrupt=0.1",   "reorder=5 %", "loss=2%;dup=1%",
      "loss=2.%",      "loss=100.5%", "LOSS=2%",
      "delay=20m",     "seed=",       "dup=-1%",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    expect_rejected("MYNET_FAULTS", bad[i]);
    /* The parser itself says the same. */
    struct mynet_faults_cfg f;
    char err[512] = "";
    ck_assert_msg(mynet_parse_faults(bad[i], &f, err, sizeof(err)) == -EINVAL, "'%s' accepted",
                  bad[i]);
    ck_assert_ptr_nonnull(strstr(err, "MYNET_FAULTS"));
  }
}
END_TEST

START_TEST(test_config_unknown_variable_is_rejected_by_name)
{
  expect_rejected("MYNET_ADRR", "10.0.0.2/24");
  expect_rejected("MYNET_", "x");
  expect_rejected("MYNET_addr", "10.0.0.2/24");
}
END_TEST

START_TEST(test_config_error_messages_are_truncated_safely)
{
  struct mynet_config c;
  mynet_config_defaults(&c);
  char err[8];
  memset(err, 'x', sizeof(err));
  ck_assert_int_eq(mynet_config_set(&c, "MYNET_ADDR", "bad", err, sizeof(err)), -EINVAL);
  ck_assert_uint_eq(strlen(err), sizeof(err) - 1);
  ck_assert_int_eq(mynet_config_set(&c, "MYNET_MTU", "bad", NULL, 0), -EINVAL);
  ck_assert_int_eq(mynet_parse_faults("bad", &c.faults, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_config_from_env_applies_mynet_variables_and_skips_the_rest)
{
  char *env[] = {
      "PATH=/usr/bin",
      "MYNET_ADDR=10.0.0.2/24",
      "MYNET_GW=10.0.0.1",
      "MYNET_LIB=/opt/mynet/libmynet.so", /* read by the tools, not the library */
      "MYNET_BUILD_DIR=/b",
      "MYNET_SOURCE_DIR=/s",
      "MYNET_NETNS=ns1",
      "HOME=/root",
      "MYNETWORK=1", /* not our prefix */
      "MYNET_LOG=debug",
      "MYNET_FAULTS=loss=1%",
      NULL,
  };
  struct mynet_config c;
  mynet_config_defaults(&c);
  char err[256] = "junk";
  ck_assert_int_eq(mynet_config_from_env(&c, env, err, sizeof(err)), 0);
  ck_assert_str_eq(err, "");
  ck_assert_uint_eq(c.addr, mn_ip4(10, 0, 0, 2));
  ck_assert_uint_eq(c.gw, mn_ip4(10, 0, 0, 1));
  ck_assert_int_eq(c.log_level, MYNET_LOG_DEBUG);
  ck_assert_uint_eq(c.faults.loss_ppm, 10000);
  ck_assert_int_eq(mynet_config_from_env(&c, NULL, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_config_from_env_rejects_an_unknown_mynet_variable)
{
  char *env[] = {"MYNET_ADDR=10.0.0.2/24", "MYNET_ADDRESS=10.0.0.3/24", NULL};
  struct mynet_config c;
  mynet_config_defaults(&c);
  char err[256] = "";
  ck_assert_int_eq(mynet_config_from_env(&c, env, err, sizeof(err)), -EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "MYNET_ADDRESS"));
  char *bad_value[] = {"MYNET_MTU=big", NULL};
  mynet_config_defaults(&c);
  ck_assert_int_eq(mynet_config_from_env(&c, bad_value, err, sizeof(err)), -EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "MYNET_MTU"));
}
END_TEST

START_TEST(test_config_from_env_rejects_a_gateway_outside_the_subnet)
{
  char *env[] = {"MYNET_GW=10.0.1.1", "MYNET_ADDR=10.0.0.2/24", NULL};
  struct mynet_config c;
  mynet_config_defaults(&c);
  char err[256] = "";
  ck_assert_int_eq(mynet_config_from_env(&c, env, err, sizeof(err)), -EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "MYNET_GW"));
  /* Against the default address too. */
  char *env2[] = {"MYNET_GW=10.0.0.1", NULL};
  mynet_config_defaults(&c);
  ck_assert_int_eq(mynet_config_from_env(&c, env2, err, sizeof(err)), -EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "MYNET_GW"));
  /* The check is made after every variable is read, so order does not
   * matter. */
  char *env3[] = {"MYNET_GW=10.0.0.1", "MYNET_ADDR=10.0.0.2/24", NULL};
  mynet_config_defaults(&c);
  ck_assert_int_eq(mynet_config_from_env(&c, env3, err, sizeof(err)), 0);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_add_test(tc, test_config_defaults_are_what_the_tools_expect);
  tcase_add_test(tc, test_config_ipv4_parser_takes_dotted_decimal_only);
  tcase_add_test(tc, test_config_cidr_parser_needs_an_address_and_a_prefix_up_to_32);
  tcase_add_test(tc, test_config_mac_parser_takes_six_colon_separated_hex_bytes);
  tcase_add_test(tc, test_config_duration_parser_takes_us_ms_s_or_bare_seconds);
  tcase_add_test(tc, test_config_addr_accepts_a_host_address_with_prefix);
  tcase_add_test(tc, test_config_addr_rejects_malformed_and_non_host_addresses);
  tcase_add_test(tc, test_config_gw_accepts_only_a_unicast_address);
  tcase_add_test(tc, test_config_mac_accepts_only_a_unicast_address);
  tcase_add_test(tc, test_config_mtu_accepts_68_to_9000);
  tcase_add_test(tc, test_config_routes_accept_comma_or_semicolon_separated_entries);
  tcase_add_test(tc, test_config_routes_reject_bad_forms);
  tcase_add_test(tc, test_config_log_takes_a_level_name);
  tcase_add_test(tc, test_config_tap_log_file_and_pcap_take_names_and_paths);
  tcase_add_test(tc, test_config_linger_takes_a_duration);
  tcase_add_test(tc, test_config_dns_takes_an_address_and_an_optional_port);
  tcase_add_test(tc, test_config_faults_full_spec_becomes_parts_per_million);
  tcase_add_test(tc, test_config_faults_edge_values);
  tcase_add_test(tc, test_config_faults_reject_bad_keys_and_values);
  tcase_add_test(tc, test_config_unknown_variable_is_rejected_by_name);
  tcase_add_test(tc, test_config_error_messages_are_truncated_safely);
  tcase_add_test(tc, test_config_from_env_applies_mynet_variables_and_skips_the_rest);
  tcase_add_test(tc, test_config_from_env_rejects_an_unknown_mynet_variable);
  tcase_add_test(tc, test_config_from_env_rejects_a_gateway_outside_the_subnet);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
