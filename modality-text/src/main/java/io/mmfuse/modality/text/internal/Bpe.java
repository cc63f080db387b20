package io.mmfuse.modality.text.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face's {@code BPE} model: a piece starts as one symbol per character (per byte for byte-level BPE), then
 * the adjacent pair with the lowest merge rank is merged, leftmost first, until no pair can be merged. Long pieces use
 * a priority queue, so a 10 MB word costs O(n log n); results of short pieces are cached.
 */
public final class Bpe implements Model {
  private static final int CACHE_SLOTS = 1 << 17;
  private static final int SMALL = 48;

  private final Map<String, Integer> vocab;
  private final int vocabSize;
  private final LongLongMap merges;
  private final String prefix;
  private final String suffix;
  private final Integer unkId;
  private final boolean fuseUnk;
  private final boolean byteFallback;
  private final boolean ignoreMerges;
  private final int[] byteIds = new int[256];
  private final boolean plainBytes;
  private final PieceCache cache = new PieceCache(CACHE_SLOTS);

  /**
   * @param merges pairs in rank order
   * @throws IllegalArgumentException naming the first merge whose parts or result are not in the vocabulary
   */
  public Bpe(
      Map<String, Integer> vocab, List<String[]> merges, String unkToken, String prefix, String suffix,
      boolean fuseUnk, boolean byteFallback, boolean ignoreMerges) {
    this.vocab = Map.copyOf(vocab);
    this.prefix = prefix == null ? "" : prefix;
    this.suffix = suffix == null ? "" : suffix;
    this.fuseUnk = fuseUnk;
    this.byteFallback = byteFallback;
    this.ignoreMerges = ignoreMerges;
    if (unkToken != null) {
      unkId = vocab.get(unkToken);
      if (unkId == null) {
        throw new IllegalArgumentException("the unknown token " + unkToken + " is not in the vocabulary");
      }
    } else {
      unkId = null;
    }
    int max = 0;
    for (int id : vocab.values()) {
      max = Math.max(max, id);
    }
    vocabSize = max + 1;
    this.merges = new LongLongMap(merges.size());
    for (int rank = 0; rank < merges.size(); rank++) {
      String[] m = merges.get(rank);
      Integer a = vocab.get(m[0]);
      Integer b = vocab.get(m[1]);
      if (a == null || b == null) {
        throw new IllegalArgumentException(
            "merge " + rank + " (" + m[0] + " " + m[1] + ") uses a token that is not in the vocabulary: "
                + (a == null ? m[0] : m[1]));
      }
      String merged = m[0] + (m[1].startsWith(this.prefix) ? m[1].substring(this.prefix.length()) : m[1]);
      Integer id = vocab.get(merged);
      if (id == null) {
        throw new IllegalArgumentException(
            "merge " + rank + " (" + m[0] + " " + m[1] + ") makes " + merged + ", which is not in the vocabulary");
      }
      long key = pair(a, b);
      if (this.merges.get(key) == -1L) {
        this.merges.put(key, ((long) rank << 32) | id);
      }
    }
    boolean plain = this.prefix.isEmpty() && this.suffix.isEmpty();
    for (int b = 0; b < 256; b++) {
      Integer id = vocab.get(String.valueOf(ByteLevelAlphabet.of(b)));
      byteIds[b] = id == null ? -1 : id;
      plain &= id != null;
    }
    plainBytes = plain;
  }

  private static long pair(int a, int b) {
    return ((long) a << 32) | (b & 0xffffffffL);
  }

  @Override
  public void encode(String text, int start, int end, boolean byteLevel, IntList out) {
    // A model instance always sees the same byteLevel flag (it is fixed by the pipeline), so it is no cache key.
    if (start == end) {
      return;
    }
    if (end - start > SMALL) {
      out.addAll(encodeUncached(text, start, end, byteLevel));
      return;
    }
    int hash = PieceCache.hash(text, start, end);
    int[] hit = cache.get(text, start, end, hash);
    if (hit == null) {
      hit = encodeUncached(text, start, end, byteLevel);
      cache.put(text.substring(start, end), hash, hit);
    }
    out.addAll(hit);
  }

  private int[] encodeUncached(String text, int start, int end, boolean byteLevel) {
    if (ignoreMerges) {
      String whole = byteLevel ? ByteLevelAlphabet.map(text, start, end) : text.substring(start, end);
      Integer id = vocab.get(whole);
      if (id != null) {
        return new int[] {id};
      }
    }
    int[] symbols;
    if (byteLevel && plainBytes) {
      byte[] bytes = Utf8.encode(text, start, end);
      symbols = new int[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        symbols[i] = byteIds[bytes[i] & 0xff];
      }
    } else {
      String chars = byteLevel ? ByteLevelAlphabet.map(text, start, end) : text.substring(start, end);
      symbols = initialSymbols(chars);
    }
    int n = symbols.length;
    if (n <= 1) {
      return symbols;
    }
    return n <= SMALL ? mergeSmall(symbols) : mergeLarge(symbols);
  }

  /** One symbol per code point, with the continuation prefix and end-of-word suffix; unknowns handled as HF does. */
  private int[] initialSymbols(String chars) {
    IntList ids = new IntList(chars.length());
    int count = chars.codePointCount(0, chars.length());
    int k = 0;
    boolean lastUnk = false;
    for (int i = 0; i < chars.length(); k++) {
      int cp = chars.codePointAt(i);
      String ch = new String(Character.toChars(cp));
      i += Character.charCount(cp);
      String s = (k > 0 ? prefix : "") + ch + (k == count - 1 ? suffix : "");
      Integer id = vocab.get(s);
      if (id != null) {
        ids.add(id);
        lastUnk = false;
        continue;
      }
      if (byteFallback) {
        byte[] bytes = Utf8.encode(ch, 0, ch.length());
        int[] fallback = new int[bytes.length];
        boolean all = true;
        for (int j = 0; j < bytes.length; j++) {
          Integer b = vocab.get(String.format("<0x%02X>", bytes[j] & 0xff));
          all &= b != null;
          fallback[j] = b == null ? -1 : b;
        }
        if (all) {
          ids.addAll(fallback);
          lastUnk = false;
          continue;
        }
      }
      if (unkId != null) {
        if (!(fuseUnk && lastUnk)) {
          ids.add(unkId);
        }
        lastUnk = true;
      }
    }
    return ids.toArray();
  }

  /** Merges by scanning for the best pair each round: fastest for the short pieces of ordinary text. */
  private int[] mergeSmall(int[] symbols) {
    int n = symbols.length;
    int[] s = symbols;
    while (n > 1) {
      long best = Long.MAX_VALUE;
      int at = -1;
      for (int i = 0; i + 1 < n; i++) {
        long m = merges.get(pair(s[i], s[i + 1]));
        if (m != -1L && (m >>> 32) < (best >>> 32)) {
          best = m;
          at = i;
        }
      }
      if (at < 0) {
        break;
      }
      s[at] = (int) best;
      System.arraycopy(s, at + 2, s, at + 1, n - at - 2);
      n--;
    }
    return n == s.length ? s : Arrays.copyOf(s, n);
  }

  /**
   * Merges with a priority queue of candidate pairs over a linked list of symbols: O(n log n). A queue entry is
   * {@code rank << 32 | left position}; since a rank names one pair, an entry is still valid exactly when the pair now
   * at its position has the same rank.
   */
  private int[] mergeLarge(int[] symbols) {
    int n = symbols.length;
    int[] id = symbols.clone();
    int[] prev = new int[n];
    int[] next = new int[n];
    boolean[] dead = new boolean[n];
    for (int i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    LongHeap queue = new LongHeap(n);
    for (int i = 0; i + 1 < n; i++) {
      long m = merges.get(pair(id[i], id[i + 1]));
      if (m != -1L) {
        queue.push(((m >>> 32) << 32) | i);
      }
    }
    while (!queue.isEmpty()) {
      long top = queue.pop();
      int left = (int) top;
      int right = next[left];
      if (dead[left] || right < 0) {
        continue;
      }
      long m = merges.get(pair(id[left], id[right]));
      if (m == -1L || (m >>> 32) != (top >>> 32)) {
        continue;
      }
      id[left] = (int) m;
      dead[right] = true;
      next[left] = next[right];
      if (next[right] >= 0) {
        prev[next[right]] = left;
      }
      int p = prev[left];
      if (p >= 0) {
        long pm = merges.get(pair(id[p], id[left]));
        if (pm != -1L) {
          queue.push(((pm >>> 32) << 32) | p);
        }
      }
      int q = next[left];
      if (q >= 0) {
        long qm = merges.get(pair(id[left], id[q]));
        if (qm != -1L) {
          queue.push(((qm >>> 32) << 32) | left);
        }
      }
    }
    IntList out = new IntList(n);
    for (int i = 0; i >= 0; i = next[i]) {
      out.add(id[i]);
    }
    return out.toArray();
  }

  /** A binary min-heap of longs. */
  private static final class LongHeap {
    private long[] heap;
    private int size;

    LongHeap(int capacity) {
      heap = new long[Math.max(16, capacity)];
    }

    boolean isEmpty() {
      return size == 0;
    }

    void push(long v) {
      if (size == heap.length) {
        heap = Arrays.copyOf(heap, size * 2);
      }
      int i = size++;
      while (i > 0) {
        int parent = (i - 1) >>> 1;
        if (heap[parent] <= v) {
          break;
        }
        heap[i] = heap[parent];
        i = parent;
      }
      heap[i] = v;
    }

    long pop() {
      long top = heap[0];
      long last = heap[--size];
      int i = 0;
      int half = size >>> 1;
      while (i < half) {
        int child = 2 * i + 1;
        if (child + 1 < size && heap[child + 1] < heap[child]) {
          child++;
        }
        if (heap[child] >= last) {
          break;
        }
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
      return top;
    }
  }

  @Override
  public Map<String, Integer> vocabulary() {
    return vocab;
  }

  @Override
  public int vocabularySize() {
    return vocabSize;
  }
}
