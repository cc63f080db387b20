package io.mmfuse.modality.text.internal;

import java.util.Arrays;

/** Pieces of text collected between the steps of a pre-tokenizer sequence: ranges of source strings, not copies. */
public final class Pieces {
  private String[] sources = new String[16];
  private int[] bounds = new int[32];
  private int size;

  public void add(String source, int start, int end) {
    if (size == sources.length) {
      sources = Arrays.copyOf(sources, size * 2);
      bounds = Arrays.copyOf(bounds, size * 4);
    }
    sources[size] = source;
    bounds[2 * size] = start;
    bounds[2 * size + 1] = end;
    size++;
  }

  public int size() {
    return size;
  }

  public String source(int i) {
    return sources[i];
  }

  public int start(int i) {
    return bounds[2 * i];
  }

  public int end(int i) {
    return bounds[2 * i + 1];
  }
}
