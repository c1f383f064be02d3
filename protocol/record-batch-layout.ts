// Where each field of a RecordBatch v2 header sits, as byte offsets from the
// batch start, and the attribute bits. One table for the codec and for the
// log's fast path, which reads a few fields straight off the bytes.
//
//   offset  field                 covered by CRC
//   0       baseOffset      int64  no  (stamped by the log)
//   8       batchLength     int32  no  (bytes after this field)
//   12      partitionLeaderEpoch int32 no (stamped by the log)
//   16      magic           int8   no
//   17      crc             uint32 -
//   21      attributes      int16  yes (CRC32C covers 21..end)
//   23      lastOffsetDelta int32
//   27      baseTimestamp   int64
//   35      maxTimestamp    int64
//   43      producerId      int64
//   51      producerEpoch   int16
//   53      baseSequence    int32
//   57      recordCount     int32
//   61      records...

export const OFF_BASE_OFFSET = 0;
export const OFF_LENGTH = 8;
export const OFF_LEADER_EPOCH = 12;
export const OFF_MAGIC = 16;
export const OFF_CRC = 17;
export const OFF_ATTRIBUTES = 21;
export const OFF_LAST_OFFSET_DELTA = 23;
export const OFF_BASE_TIMESTAMP = 27;
export const OFF_MAX_TIMESTAMP = 35;
export const OFF_PRODUCER_ID = 43;
export const OFF_PRODUCER_EPOCH = 51;
export const OFF_BASE_SEQUENCE = 53;
export const OFF_RECORD_COUNT = 57;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;
