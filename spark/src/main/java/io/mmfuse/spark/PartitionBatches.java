package io.mmfuse.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.BiFunction;
import org.apache.spark.sql.Row;

/**
 * A partition's rows in batches: pulls up to {@code size} rows from the partition's iterator, hands them to {@code
 * run} with the partition index of the first, and gives back its output rows, one per input row and in the same
 * order, before pulling the next batch. Never more than one batch is held; an empty partition runs nothing.
 */
final class PartitionBatches implements Iterator<Row> {
  private final Iterator<Row> rows;
  private final int size;
  private final BiFunction<List<Row>, Long, List<Row>> run;
  private final ArrayDeque<Row> ready = new ArrayDeque<>();
  private long pulled;

  PartitionBatches(Iterator<Row> rows, int size, BiFunction<List<Row>, Long, List<Row>> run) {
    this.rows = rows;
    this.size = size;
    this.run = run;
  }

  @Override
  public boolean hasNext() {
    if (!ready.isEmpty()) {
      return true;
    }
    if (!rows.hasNext()) {
      return false;
    }
    List<Row> batch = new ArrayList<>(size);
    while (batch.size() < size && rows.hasNext()) {
      batch.add(rows.next());
    }
    List<Row> out = run.apply(batch, pulled);
    if (out.size() != batch.size()) {
      throw new IllegalStateException("a batch of " + batch.size() + " rows gave " + out.size() + " output rows");
    }
    pulled += batch.size();
    ready.addAll(out);
    return true;
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.poll();
  }

  /** A row's values followed by {@code extra}. */
  static Row append(Row row, Object[] extra) {
    Object[] v = new Object[row.length() + extra.length];
    for (int i = 0; i < row.length(); i++) {
      v[i] = row.get(i);
    }
    System.arraycopy(extra, 0, v, row.length(), extra.length);
    return org.apache.spark.sql.RowFactory.create(v);
  }
}
