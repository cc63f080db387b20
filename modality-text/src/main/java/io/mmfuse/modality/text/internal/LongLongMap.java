package io.mmfuse.modality.text.internal;

import java.util.Arrays;

/** An open-addressing map from long to long; -1 stands for absent, so neither keys nor values may be -1. */
final class LongLongMap {
  private long[] keys;
  private long[] values;
  private int mask;
  private int size;

  LongLongMap(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[cap];
    values = new long[cap];
    Arrays.fill(keys, -1L);
    mask = cap - 1;
  }

  long get(long key) {
    int h = hash(key) & mask;
    while (true) {
      long k = keys[h];
      if (k == key) {
        return values[h];
      }
      if (k == -1L) {
        return -1L;
      }
      h = (h + 1) & mask;
    }
  }

  void put(long key, long value) {
    if ((size + 1) * 2 > keys.length) {
      rehash();
    }
    int h = hash(key) & mask;
    while (keys[h] != -1L && keys[h] != key) {
      h = (h + 1) & mask;
    }
    if (keys[h] == -1L) {
      size++;
    }
    keys[h] = key;
    values[h] = value;
  }

  private void rehash() {
    long[] ok = keys;
    long[] ov = values;
    keys = new long[ok.length * 2];
    values = new long[ok.length * 2];
    Arrays.fill(keys, -1L);
    mask = keys.length - 1;
    size = 0;
    for (int i = 0; i < ok.length; i++) {
      if (ok[i] != -1L) {
        put(ok[i], ov[i]);
      }
    }
  }

  private static int hash(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 31));
  }
}
