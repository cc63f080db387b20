package io.mmfuse.modality.text.internal;

import java.util.Arrays;

/**
 * A trie over UTF-16 chars with one open-addressing table of transitions, so that a greedy longest match costs one
 * probe per character and allocates nothing.
 */
final class CharTrie {
  private long[] keys;
  private int[] targets;
  private int mask;
  private int transitions;
  private int[] values = new int[64];
  private int nodes = 1;

  CharTrie(int expectedChars) {
    int cap = Integer.highestOneBit(Math.max(16, expectedChars * 2 - 1)) << 1;
    keys = new long[cap];
    Arrays.fill(keys, -1L);
    targets = new int[cap];
    mask = cap - 1;
    Arrays.fill(values, -1);
  }

  /** Returns the root node. */
  static int root() {
    return 0;
  }

  void put(String word, int value) {
    int node = 0;
    for (int i = 0; i < word.length(); i++) {
      int next = next(node, word.charAt(i));
      if (next < 0) {
        next = nodes++;
        if (next == values.length) {
          values = Arrays.copyOf(values, next * 2);
          Arrays.fill(values, next, values.length, -1);
        }
        insert(node, word.charAt(i), next);
      }
      node = next;
    }
    values[node] = value;
  }

  /** Returns the child of {@code node} along {@code c}, or -1. */
  int next(int node, char c) {
    long key = ((long) node << 16) | c;
    int h = hash(key) & mask;
    while (true) {
      long k = keys[h];
      if (k == key) {
        return targets[h];
      }
      if (k == -1L) {
        return -1;
      }
      h = (h + 1) & mask;
    }
  }

  /** Returns the value stored at {@code node}, or -1. */
  int value(int node) {
    return values[node];
  }

  private void insert(int node, char c, int target) {
    if ((transitions + 1) * 2 > keys.length) {
      grow();
    }
    long key = ((long) node << 16) | c;
    int h = hash(key) & mask;
    while (keys[h] != -1L) {
      h = (h + 1) & mask;
    }
    keys[h] = key;
    targets[h] = target;
    transitions++;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldTargets = targets;
    keys = new long[oldKeys.length * 2];
    Arrays.fill(keys, -1L);
    targets = new int[keys.length];
    mask = keys.length - 1;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != -1L) {
        int h = hash(oldKeys[i]) & mask;
        while (keys[h] != -1L) {
          h = (h + 1) & mask;
        }
        keys[h] = oldKeys[i];
        targets[h] = oldTargets[i];
      }
    }
  }

  private static int hash(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 29));
  }
}
