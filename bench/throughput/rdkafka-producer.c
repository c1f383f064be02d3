/*
 * bench/throughput/librdkafka.ts's load: a librdkafka producer sending 100 B
 * records to partition 0 of a topic as fast as its queue takes them (acks=1,
 * librdkafka's default batching), against BOOTSTRAP or, with "mock", against
 * librdkafka's own in-memory mock cluster (test.mock.num.brokers=1).
 * After WARMUP seconds, prints one line per second: "delivered N" (records
 * acknowledged in that second), then "errors E".
 * Usage: rdkafka-producer BOOTSTRAP|mock TOPIC SECONDS WARMUP
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long delivered = 0;
static long errors = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) errors++;
  else delivered++;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[256];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s=%s: %s\n", k, v, err);
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s BOOTSTRAP|mock TOPIC SECONDS WARMUP\n", argv[0]);
    return 2;
  }
  int seconds = atoi(argv[3]);
  int warmup = atoi(argv[4]);
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (strcmp(argv[1], "mock") == 0) set(conf, "test.mock.num.brokers", "1");
  else set(conf, "bootstrap.servers", argv[1]);
  set(conf, "acks", "1");
  set(conf, "queue.buffering.max.messages", "1000000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, argv[2], NULL);
  char value[100];
  memset(value, 'x', sizeof value);
  double start = now();
  double next = start + warmup;
  double end = next + seconds;
  long mark = 0;
  int measuring = 0;
  while (now() < end) {
    if (rd_kafka_produce(topic, 0, RD_KAFKA_MSG_F_COPY, value, sizeof value, NULL, 0, NULL) == -1) {
      if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
        return 1;
      }
      rd_kafka_poll(rk, 1);
    } else {
      rd_kafka_poll(rk, 0);
    }
    double t = now();
    if (t >= next) {
      if (measuring) printf("delivered %ld\n", delivered - mark);
      fflush(stdout);
      measuring = 1;
      mark = delivered;
      next += 1;
    }
  }
  printf("errors %ld\n", errors);
  fflush(stdout);
  rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_flush(rk, 5000);
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(rk);
  return 0;
}
