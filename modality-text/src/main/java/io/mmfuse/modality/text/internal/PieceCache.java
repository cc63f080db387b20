package io.mmfuse.modality.text.internal;

/**
 * A direct-mapped cache from a piece of text to its ids, looked up by a range of a string so that a hit allocates
 * nothing. Entries are immutable and published through final fields, so threads may race on a slot: a reader sees
 * a whole entry or none, and a lost write only costs a recomputation.
 */
final class PieceCache {
  private static final class Entry {
    final String key;
    final int hash;
    final int[] ids;

    Entry(String key, int hash, int[] ids) {
      this.key = key;
      this.hash = hash;
      this.ids = ids;
    }
  }

  private final Entry[] slots;
  private final int mask;

  PieceCache(int slots) {
    this.slots = new Entry[slots];
    this.mask = slots - 1;
  }

  static int hash(String s, int start, int end) {
    int h = 0;
    for (int i = start; i < end; i++) {
      h = 31 * h + s.charAt(i);
    }
    return h ^ (h >>> 16);
  }

  /** Returns the cached ids of {@code s[start, end)}, or null. */
  int[] get(String s, int start, int end, int hash) {
    Entry e = slots[hash & mask];
    int len = end - start;
    if (e != null && e.hash == hash && e.key.length() == len && e.key.regionMatches(0, s, start, len)) {
      return e.ids;
    }
    return null;
  }

  void put(String key, int hash, int[] ids) {
    slots[hash & mask] = new Entry(key, hash, ids);
  }
}
