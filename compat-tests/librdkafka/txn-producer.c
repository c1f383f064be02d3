/* librdkafka's transactional producer API against a broker, for the compat leg:
 * one transaction of N records that it commits ("committed-<i>"), one of N
 * that it flushes to the broker and then aborts ("aborted-<i>"), then a
 * one-record committed transaction ("end") so a reader knows it has seen
 * everything. Prints each step; exits 0 only if every call succeeded.
 * Usage: txn-producer <bootstrap> <topic> <transactional.id> <N> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>

static int check(const char *what, rd_kafka_error_t *err) {
  if (!err) {
    printf("%s: ok\n", what);
    return 0;
  }
  fprintf(stderr, "%s: %s (%s)\n", what, rd_kafka_error_string(err), rd_kafka_error_name(err));
  rd_kafka_error_destroy(err);
  return 1;
}

static int delivered;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
  else delivered++;
}

static int produce(rd_kafka_t *rk, const char *topic, const char *value) {
  rd_kafka_resp_err_t err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                              RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  if (err) fprintf(stderr, "produce %s: %s\n", value, rd_kafka_err2str(err));
  return err ? 1 : 0;
}

/* One transaction of the records "<prefix><i>" (or just "<prefix>" when n is 0), committed or aborted. */
static int transaction(rd_kafka_t *rk, const char *topic, const char *prefix, int n, int commit) {
  char value[64];
  if (check("begin_transaction", rd_kafka_begin_transaction(rk))) return 1;
  for (int i = 0; i < (n ? n : 1); i++) {
    if (n) snprintf(value, sizeof value, "%s%d", prefix, i);
    else snprintf(value, sizeof value, "%s", prefix);
    if (produce(rk, topic, value)) return 1;
  }
  printf("produced %d record(s) %s*\n", n ? n : 1, prefix);
  /* abort_transaction purges what is still queued: flush first so the aborted
   * records reach the broker's log and the abort has something to mark. */
  if (!commit) {
    int before = delivered;
    rd_kafka_resp_err_t err = rd_kafka_flush(rk, 30000);
    if (err || delivered - before != n) {
      fprintf(stderr, "flush: %s, %d of %d delivered\n", rd_kafka_err2str(err), delivered - before, n);
      return 1;
    }
    printf("flushed: %d delivered\n", n);
  }
  return commit ? check("commit_transaction", rd_kafka_commit_transaction(rk, 30000))
                : check("abort_transaction", rd_kafka_abort_transaction(rk, 30000));
}

int main(int argc, char **argv) {
  char errstr[512];
  if (argc != 5) {
    fprintf(stderr, "usage: %s <bootstrap> <topic> <transactional.id> <N>\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[4]);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "transactional.id", argv[3], errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "config: %s\n", errstr);
    return 1;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  printf("librdkafka %s\n", rd_kafka_version_str());
  int failed = check("init_transactions", rd_kafka_init_transactions(rk, 30000)) ||
               transaction(rk, argv[2], "committed-", n, 1) ||
               transaction(rk, argv[2], "aborted-", n, 0) ||
               transaction(rk, argv[2], "end", 0, 1);
  rd_kafka_destroy(rk);
  return failed;
}
