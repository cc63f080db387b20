package io.mmfuse.examples.search;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.fusion.internal.Checksums;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;

/**
 * An on-disk index of a model's embeddings, one document per data row: Lucene's HNSW vectors (dot product of
 * L2-normalized embeddings, that is cosine similarity) with the row, its line and its value stored beside them. Up
 * to {@link #EXACT_LIMIT} rows are searched exactly, every vector scored; beyond, by Lucene's approximate HNSW search.
 * The index records the SHA-256 of the model bundle's manifest, and is refused with another model.
 */
public final class VectorIndex implements AutoCloseable {
  /** Indexes of at most this many rows are searched exactly. */
  public static final int EXACT_LIMIT = 10_000;

  static final String META = "mmfuse-index.json";

  // Lucene tells on standard error, once, that it could use the JDK's incubating Vector API; users need not know.
  private static final java.util.logging.Logger LUCENE_VECTORS =
      java.util.logging.Logger.getLogger("org.apache.lucene.internal.vectorization");

  static {
    LUCENE_VECTORS.setLevel(java.util.logging.Level.SEVERE);
  }
  private static final String VECTOR = "vector";

  private final Path dir;
  private final JsonObject meta;
  private final FSDirectory directory;
  private final DirectoryReader reader;

  /** One result: the row (1-based, as read), its line in the data file, its value, its cosine similarity. */
  public record Hit(int row, long line, String value, double score) {}

  private VectorIndex(Path dir, JsonObject meta, FSDirectory directory, DirectoryReader reader) {
    this.dir = dir;
    this.meta = meta;
    this.directory = directory;
    this.reader = reader;
  }

  /** The SHA-256 of a bundle's manifest (which holds the SHA-256 of every file of the bundle). */
  public static String modelHash(Path bundle) {
    try {
      return Checksums.sha256(bundle.resolve("manifest.json"));
    } catch (IOException e) {
      throw new InvalidInputException("bundle " + bundle + ": its manifest cannot be read: " + e.getMessage(), e);
    }
  }

  /** Writes an index: rows are added in order, and it appears at {@code out} whole when committed, or not at all. */
  public static final class Writer implements AutoCloseable {
    private final Path out;
    private final Path staging;
    private final JsonObject meta;
    private final FSDirectory directory;
    private final IndexWriter writer;
    private int count;
    private int dims = -1;
    private boolean committed;

    Writer(Path out, JsonObject meta) throws IOException {
      this.out = out.toAbsolutePath();
      this.staging = this.out.resolveSibling(this.out.getFileName() + ".partial");
      Checksums.deleteTree(staging);
      Files.createDirectories(staging);
      this.meta = meta;
      this.directory = FSDirectory.open(staging);
      this.writer = new IndexWriter(directory, new IndexWriterConfig());
    }

    /** Adds one row's embedding (L2-normalized). */
    public void add(int row, long line, String value, float[] embedding) throws IOException {
      if (dims < 0) {
        dims = embedding.length;
      }
      Document doc = new Document();
      doc.add(new KnnFloatVectorField(VECTOR, embedding, VectorSimilarityFunction.DOT_PRODUCT));
      doc.add(new StoredField("row", row));
      doc.add(new StoredField("line", line));
      doc.add(new StoredField("value", value == null ? "" : value));
      writer.addDocument(doc);
      count++;
    }

    /** Commits the index and moves it into place. */
    public int commit() throws IOException {
      writer.forceMerge(1);
      writer.commit();
      writer.close();
      directory.close();
      meta.addProperty("rows", count);
      meta.addProperty("dimensions", dims);
      Files.writeString(staging.resolve(META), meta.toString(), StandardCharsets.UTF_8);
      Checksums.deleteTree(out);
      Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
      committed = true;
      return count;
    }

    @Override
    public void close() throws IOException {
      if (!committed) {
        writer.rollback();
        directory.close();
        Checksums.deleteTree(staging);
      }
    }
  }

  /** Starts an index of {@code input}'s embeddings by the model at {@code bundle}, of the rows of {@code data}. */
  public static Writer create(Path out, Path bundle, String input, Path data) throws IOException {
    JsonObject meta = new JsonObject();
    meta.addProperty("format", "mmfuse-vector-index-1");
    meta.addProperty("model_sha256", modelHash(bundle));
    meta.addProperty("input", input);
    meta.addProperty("data", data.toAbsolutePath().toString());
    return new Writer(out, meta);
  }

  /** Opens an index to search with the model at {@code bundle}; refused when it was built with another model. */
  public static VectorIndex open(Path dir, Path bundle) {
    Path metaFile = dir.resolve(META);
    if (!Files.isRegularFile(metaFile)) {
      throw new InvalidInputException("index " + dir + ": not an mmfuse index (no " + META + ")");
    }
    try {
      JsonObject meta = JsonParser.parseString(Files.readString(metaFile)).getAsJsonObject();
      String built = meta.get("model_sha256").getAsString();
      String given = modelHash(bundle);
      if (!built.equals(given)) {
        throw new InvalidInputException("index " + dir + " was built with another model (manifest SHA-256 "
            + built.substring(0, 12) + "..., not " + bundle + "'s " + given.substring(0, 12) + "...); rebuild it with"
            + " mmfuse index");
      }
      FSDirectory d = FSDirectory.open(dir);
      return new VectorIndex(dir, meta, d, DirectoryReader.open(d));
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidInputException i) {
        throw i;
      }
      throw new InvalidInputException("index " + dir + ": cannot be read: " + e.getMessage(), e);
    }
  }

  /** The input whose embeddings the index holds. */
  public String input() {
    return meta.get("input").getAsString();
  }

  public int rows() {
    return meta.get("rows").getAsInt();
  }

  /** The {@code k} rows most similar to {@code query} (L2-normalized), best first. */
  public List<Hit> search(float[] query, int k) throws IOException {
    int dims = meta.get("dimensions").getAsInt();
    if (query.length != dims) {
      throw new InvalidInputException("index " + dir + ": a query of " + query.length + " dimensions, the index has "
          + dims);
    }
    List<Hit> out = new ArrayList<>();
    if (rows() <= EXACT_LIMIT) {
      // Every vector scored: exact, and fast enough at this size.
      PriorityQueue<double[]> best = new PriorityQueue<>(Comparator.comparingDouble(a -> a[0]));
      for (LeafReaderContext leaf : reader.leaves()) {
        FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
        if (values == null) {
          continue;
        }
        for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
          float[] v = values.vectorValue();
          double s = 0;
          for (int i = 0; i < dims; i++) {
            s += v[i] * query[i];
          }
          best.add(new double[] {s, leaf.docBase + doc});
          if (best.size() > k) {
            best.poll();
          }
        }
      }
      List<double[]> sorted = new ArrayList<>(best);
      sorted.sort((a, b) -> Double.compare(b[0], a[0]));
      for (double[] h : sorted) {
        out.add(hit((int) h[1], h[0]));
      }
      return out;
    }
    TopDocs top = new IndexSearcher(reader).search(new KnnFloatVectorQuery(VECTOR, query, k), k);
    for (ScoreDoc d : top.scoreDocs) {
      // Lucene scores a dot product as (1 + dot) / 2.
      out.add(hit(d.doc, 2 * d.score - 1));
    }
    return out;
  }

  private Hit hit(int doc, double score) throws IOException {
    Document d = reader.storedFields().document(doc);
    return new Hit(d.getField("row").numericValue().intValue(), d.getField("line").numericValue().longValue(),
        d.get("value"), score);
  }

  @Override
  public void close() throws IOException {
    reader.close();
    directory.close();
  }

}
