/*
 * A Kafka cluster for tests: librdkafka's mock cluster speaks the real Kafka protocol on loopback ports.
 *
 *   kafka-mock [brokers]     (default 3)
 *
 * Prints the bootstrap address ("127.0.0.1:p1,127.0.0.1:p2,...") as its first stdout line, then reads one
 * command per stdin line and answers each with one line, "ok <command>" or "err <reason>":
 *
 *   down <broker_id>                       disconnect the broker and refuse new connections
 *   up <broker_id>                         accept connections again
 *   topic <name> <partitions>              create a topic (CreateTopics is not supported by the mock)
 *   leader <topic> <partition> <broker_id> make the broker the partition's leader (the old one answers
 *                                          NOT_LEADER_OR_FOLLOWER from then on, as after a failover)
 *   error <api_key> <error_code> <count>   the next <count> requests of <api_key> fail with <error_code>
 *   clear <api_key>                        drop pending injected errors of <api_key>
 *   rtt <broker_id> <ms>                   delay the broker's responses
 *   version                                answered "ok version <librdkafka version>"
 *   quit                                   stop (end of stdin does the same, so a dead parent never leaks us)
 *
 * Broker ids start at 1. librdkafka's own logs go to stderr.
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void answer(const char *status, const char *text) {
  printf("%s %s\n", status, text);
  fflush(stdout);
}

/* Parses a whole decimal integer; returns 0 on garbage so a typo never becomes broker 0 silently. */
static int parse_int(const char *s, long *out) {
  char *end;
  if (s == NULL || *s == '\0') return 0;
  errno = 0;
  *out = strtol(s, &end, 10);
  return errno == 0 && *end == '\0';
}

static void report(const char *line, rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
    answer("ok", line);
  else
    answer("err", rd_kafka_err2str(err));
}

int main(int argc, char **argv) {
  long brokers = 3;
  if (argc > 1 && (!parse_int(argv[1], &brokers) || brokers < 1 || brokers > 16)) {
    fprintf(stderr, "usage: %s [brokers 1..16]\n", argv[0]);
    return 2;
  }

  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle only hosts the mock cluster; it never connects anywhere itself. */
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "conf: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
  if (mc == NULL) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  int replication = brokers < 3 ? (int)brokers : 3;

  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char line[1024];
  while (fgets(line, sizeof(line), stdin) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    char copy[sizeof(line)];
    memcpy(copy, line, sizeof(line));
    char *cmd = strtok(copy, " \t");
    char *a1 = strtok(NULL, " \t");
    char *a2 = strtok(NULL, " \t");
    char *a3 = strtok(NULL, " \t");
    long n1, n2, n3;

    if (cmd == NULL) {
      answer("err", "empty command");
    } else if (strcmp(cmd, "quit") == 0) {
      answer("ok", line);
      break;
    } else if (strcmp(cmd, "version") == 0 && a1 == NULL) {
      printf("ok version %s\n", rd_kafka_version_str());
      fflush(stdout);
    } else if (strcmp(cmd, "down") == 0 && parse_int(a1, &n1) && a2 == NULL) {
      report(line, rd_kafka_mock_broker_set_down(mc, (int32_t)n1));
    } else if (strcmp(cmd, "up") == 0 && parse_int(a1, &n1) && a2 == NULL) {
      report(line, rd_kafka_mock_broker_set_up(mc, (int32_t)n1));
    } else if (strcmp(cmd, "topic") == 0 && a1 != NULL && parse_int(a2, &n2) && n2 > 0 && a3 == NULL) {
      report(line, rd_kafka_mock_topic_create(mc, a1, (int)n2, replication));
    } else if (strcmp(cmd, "leader") == 0 && a1 != NULL && parse_int(a2, &n2) && n2 >= 0 && parse_int(a3, &n3)) {
      report(line, rd_kafka_mock_partition_set_leader(mc, a1, (int32_t)n2, (int32_t)n3));
    } else if (strcmp(cmd, "error") == 0 && parse_int(a1, &n1) && parse_int(a2, &n2) && parse_int(a3, &n3) &&
               n3 > 0 && n3 <= 10000) {
      rd_kafka_resp_err_t *errs = calloc((size_t)n3, sizeof(*errs));
      if (errs == NULL) {
        answer("err", "out of memory");
        continue;
      }
      for (long i = 0; i < n3; i++) errs[i] = (rd_kafka_resp_err_t)n2;
      rd_kafka_mock_push_request_errors_array(mc, (int16_t)n1, (size_t)n3, errs);
      free(errs);
      answer("ok", line);
    } else if (strcmp(cmd, "clear") == 0 && parse_int(a1, &n1) && a2 == NULL) {
      rd_kafka_mock_clear_request_errors(mc, (int16_t)n1);
      answer("ok", line);
    } else if (strcmp(cmd, "rtt") == 0 && parse_int(a1, &n1) && parse_int(a2, &n2) && n2 >= 0 && a3 == NULL) {
      report(line, rd_kafka_mock_broker_set_rtt(mc, (int32_t)n1, (int)n2));
    } else {
      answer("err", "unknown or malformed command");
    }
  }

  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
