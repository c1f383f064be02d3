// Every metric name in one place. Kafka's names are its JMX MBeans as the
// Prometheus JMX exporter's usual Kafka rules render them (type and name
// lower-cased and joined: kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec
// becomes kafka_server_brokertopicmetrics_bytesin_total); consumer-group lag uses
// kafka_exporter's names, which Kafka's broker does not report; the rest are
// kafkalite's own, prefixed kafkalite_.
export const M = {
  // kafka.server:type=BrokerTopicMetrics,name=*PerSec,topic=T
  messagesIn: 'kafka_server_brokertopicmetrics_messagesin_total',
  bytesIn: 'kafka_server_brokertopicmetrics_bytesin_total',
  bytesOut: 'kafka_server_brokertopicmetrics_bytesout_total',
  produceRequests: 'kafka_server_brokertopicmetrics_totalproducerequests_total',
  fetchRequests: 'kafka_server_brokertopicmetrics_totalfetchrequests_total',
  failedProduceRequests: 'kafka_server_brokertopicmetrics_failedproducerequests_total',
  failedFetchRequests: 'kafka_server_brokertopicmetrics_failedfetchrequests_total',
  messagesOut: 'kafkalite_topic_messages_out_total',
  // kafka.network:type=RequestMetrics,name=RequestsPerSec|TotalTimeMs,request=R
  requests: 'kafka_network_requestmetrics_requests_total',
  totalTimeMs: 'kafka_network_requestmetrics_totaltimems',
  requestBytes: 'kafkalite_network_request_bytes_total',
  responseBytes: 'kafkalite_network_response_bytes_total',
  // kafka.server:type=socket-server-metrics,listener=L
  connectionCount: 'kafka_server_socket_server_metrics_connection_count',
  connectionCreation: 'kafka_server_socket_server_metrics_connection_creation_total',
  connectionClose: 'kafka_server_socket_server_metrics_connection_close_total',
  // kafka.server:type=ReplicaManager and kafka.controller:type=KafkaController
  partitionCount: 'kafka_server_replicamanager_partitioncount',
  leaderCount: 'kafka_server_replicamanager_leadercount',
  underReplicated: 'kafka_server_replicamanager_underreplicatedpartitions',
  offlinePartitions: 'kafka_controller_kafkacontroller_offlinepartitionscount',
  // kafka.log:type=Log,name=*,topic=T,partition=P
  logSize: 'kafka_log_log_size',
  logStartOffset: 'kafka_log_log_logstartoffset',
  logEndOffset: 'kafka_log_log_logendoffset',
  logSegments: 'kafka_log_log_numlogsegments',
  // kafkalite: storage counters per partition log, for benchmarks without perf or root
  logFsyncs: 'kafkalite_log_fsyncs_total',
  logWrites: 'kafkalite_log_writes_total',
  logBytesWritten: 'kafkalite_log_bytes_written_total',
  logTailCacheReads: 'kafkalite_log_tail_cache_reads_total',
  logDiskReads: 'kafkalite_log_disk_reads_total',
  // kafkalite: the process's event loop (performance.eventLoopUtilization), with the process metrics
  eventLoopActive: 'kafkalite_eventloop_active_seconds_total',
  eventLoopIdle: 'kafkalite_eventloop_idle_seconds_total',
  // kafka.server:type=group-coordinator-metrics
  groupCount: 'kafka_server_group_coordinator_metrics_group_count',
  classicGroupCount: 'kafka_server_group_coordinator_metrics_classic_group_count',
  consumerGroupCount: 'kafka_server_group_coordinator_metrics_consumer_group_count',
  classicRebalances: 'kafka_server_group_coordinator_metrics_group_completed_rebalance_count',
  consumerRebalances: 'kafka_server_group_coordinator_metrics_consumer_group_rebalance_count',
  // kafka.log:type=LogCleaner and type=LogCleanerManager
  cleanerMaxCleanTime: 'kafka_log_logcleaner_max_clean_time_secs',
  cleanerRecopyPercent: 'kafka_log_logcleaner_cleaner_recopy_percent',
  cleanerMaxBufferUtilization: 'kafka_log_logcleaner_max_buffer_utilization_percent',
  cleanerMaxDirtyPercent: 'kafka_log_logcleanermanager_max_dirty_percent',
  cleanerTimeSinceLastRun: 'kafka_log_logcleanermanager_time_since_last_run_ms',
  cleanerUncleanablePartitions: 'kafka_log_logcleanermanager_uncleanable_partitions_count',
  cleanerRounds: 'kafkalite_log_cleaner_rounds_total',
  cleanerBytesRead: 'kafkalite_log_cleaner_bytes_read_total',
  cleanerBytesWritten: 'kafkalite_log_cleaner_bytes_written_total',
  // kafka_exporter
  groupMembers: 'kafka_consumergroup_members',
  groupOffset: 'kafka_consumergroup_current_offset',
  groupLag: 'kafka_consumergroup_lag',
  // kafkalite
  groupInfo: 'kafkalite_group_info',
  rebalancePause: 'kafkalite_group_rebalance_pause_seconds',
} as const;
