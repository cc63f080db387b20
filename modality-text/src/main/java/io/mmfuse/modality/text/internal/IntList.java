package io.mmfuse.modality.text.internal;

import java.util.Arrays;

/** A growable list of ints without boxing. */
public final class IntList {
  private int[] values;
  private int size;

  public IntList() {
    this(16);
  }

  public IntList(int capacity) {
    values = new int[Math.max(capacity, 4)];
  }

  public void add(int v) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = v;
  }

  public void addAll(int[] vs) {
    addAll(vs, 0, vs.length);
  }

  public void addAll(int[] vs, int from, int to) {
    int n = to - from;
    if (size + n > values.length) {
      values = Arrays.copyOf(values, Math.max(size * 2, size + n));
    }
    System.arraycopy(vs, from, values, size, n);
    size += n;
  }

  public int get(int i) {
    return values[i];
  }

  public int size() {
    return size;
  }

  public void truncate(int newSize) {
    size = Math.min(size, newSize);
  }

  public int[] toArray() {
    return Arrays.copyOf(values, size);
  }
}
