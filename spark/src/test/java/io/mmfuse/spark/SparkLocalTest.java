package io.mmfuse.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.fusion.inference.Predictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stages on Spark's local[2] against the Predictor on the same rows. */
class SparkLocalTest {
  static SparkSession spark;
  static Reference ref;

  @BeforeAll
  static void start() throws Exception {
    ref = new Reference();
    spark = SparkSession.builder().master("local[2]").appName("mmfuse-test").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2").getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static Dataset<Row> csv() {
    return spark.read().option("header", "true").csv(TestBundles.data().toString());
  }

  static MmfuseModel model() {
    MmfuseModel m = new MmfuseModel().setBundle(TestBundles.bundle().toString());
    m.setIdCol("id").setImageRoot(TestBundles.dir().toString()).setBatchSize(4);
    return m;
  }

  static void assertMatchesPredictor(List<Row> out, int idAt, int probAt, int embAt) {
    ref.assertMatches(out, idAt, probAt, embAt);
  }

  @Test
  void predictionsEqualThePredictorsInOrderWithEmptyAndOneRowPartitions() {
    Dataset<Row> in = csv();
    List<Row> rows = in.collectAsList();
    // The first 10 rows over 20 partitions (empty ones and ones of one row), the other 80 over 4; batches of 4 put
    // missing captions and pictures in the middle of batches and leave a short last batch.
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Row> spread = spark.createDataFrame(jsc.parallelize(rows.subList(0, 10), 20)
        .union(jsc.parallelize(rows.subList(10, rows.size()), 4)), in.schema());
    List<Integer> sizes = spread.javaRDD().glom().map(List::size).collect();
    assertTrue(sizes.contains(0) && sizes.contains(1) && sizes.stream().anyMatch(s -> s > 1), sizes.toString());
    Dataset<Row> dense = spark.createDataFrame(jsc.parallelize(rows, 3), in.schema());
    int loadsBefore = ExecutorModels.loads();
    for (Dataset<Row> df : List.of(spread, dense)) {
      MmfuseModel m = model();
      Dataset<Row> out = m.transform(df);
      StructType s = out.schema();
      assertEquals(List.of("id", "caption", "picture", "size", "kind", "label", "prediction", "probability",
          "embedding"), List.of(s.fieldNames()));
      assertArrayEquals(ref.classes.toArray(), s.apply("probability").metadata().getStringArray("classes"));
      List<Row> got = out.collectAsList();
      assertEquals(rows.size(), got.size());
      for (int i = 0; i < rows.size(); i++) {
        assertEquals(rows.get(i).getString(0), got.get(i).getString(0), "row order");
      }
      assertMatchesPredictor(got, 0, 7, 8);
      for (Row r : got) {
        float[] p = ref.probs.get(r.getString(0));
        String best = p[0] >= p[1] ? ref.classes.get(0) : ref.classes.get(1);
        assertEquals(best, r.getString(6));
      }
    }
    // Both jobs, over 123 partitions on two task threads, loaded the model once in this JVM.
    assertTrue(ExecutorModels.loads() - loadsBefore <= 1, "loads " + (ExecutorModels.loads() - loadsBefore));
    assertEquals(1, ExecutorModels.loads(), "one bundle, one runtime: loaded once in this JVM");
  }

  @Test
  void binaryColumnsAndSparksImageSourceFeedTheImageInput() throws Exception {
    // Spark's binaryFile source: the picture's bytes in 'content'.
    Dataset<Row> bin = spark.read().format("binaryFile").load(TestBundles.dir().resolve("img").toString());
    MmfuseModel m = new MmfuseModel().setBundle(TestBundles.bundle().toString());
    m.setInputCol("picture", "content").setIdCol("path").setEmbeddingCol("");
    List<Row> got = m.transform(bin.select("path", "content")).collectAsList();
    // Spark's image source: BGR bytes.
    Dataset<Row> img = spark.read().format("image").load(TestBundles.dir().resolve("img").toString());
    MmfuseModel m2 = new MmfuseModel().setBundle(TestBundles.bundle().toString());
    m2.setInputCol("picture", "image").setEmbeddingCol("");
    List<Row> got2 = m2.transform(img).collectAsList();
    assertEquals(TestBundles.ROWS, got.size());
    assertEquals(TestBundles.ROWS, got2.size());
    var registry = Plugins.load();
    try (Predictor p = Predictor.load(TestBundles.bundle(), registry)) {
      Map<String, float[]> byFile = new HashMap<>();
      for (Row r : got2) {
        String origin = r.getStruct(0).getString(0);
        byFile.put(Path.of(java.net.URI.create(origin)).getFileName().toString(), ((Vector) r.get(2)).toArray()
            .length == 2 ? toFloats(((Vector) r.get(2)).toArray()) : null);
      }
      for (Row r : got) {
        Path file = Path.of(java.net.URI.create(r.getString(0)));
        Map<String, Object> ex = new LinkedHashMap<>();
        ex.put("picture", file);
        float[] want = p.predict(ex);
        double[] fromBytes = ((Vector) r.get(3)).toArray();
        float[] fromStruct = byFile.get(file.getFileName().toString());
        for (int c = 0; c < want.length; c++) {
          assertEquals(want[c], fromBytes[c], 1e-5, file + " from bytes");
          assertEquals(want[c], fromStruct[c], 1e-5, file + " from Spark's image struct");
        }
      }
    }
  }

  private static float[] toFloats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  @Test
  void aBadRowFailsTheJobNamingItsIdAndColumnOrIsSkippedAndCounted(@TempDir Path tmp) throws Exception {
    Files.write(tmp.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    StructType schema = csv().schema();
    List<Row> rows = new ArrayList<>(csv().limit(6).collectAsList());
    Row r2 = rows.get(2);
    rows.set(2, RowFactory.create(r2.get(0), r2.get(1), tmp.resolve("broken.png").toString(), r2.get(3), r2.get(4),
        r2.get(5)));
    Row r4 = rows.get(4);
    rows.set(4, RowFactory.create(r4.get(0), null, null, null, null, null));
    Dataset<Row> df = spark.createDataFrame(rows, schema).coalesce(1);
    SparkException e = assertThrows(SparkException.class, () -> model().transform(df).collectAsList());
    String message = rootMessage(e);
    assertTrue(message.contains("row id=" + r2.getString(0)) && message.contains("column 'picture'"), message);

    MmfuseModel skip = model();
    skip.setOnBadRow("skip");
    skip.setErrorCol("error");
    List<Row> out = skip.transform(df).collectAsList();
    assertEquals(6, out.size());
    assertEquals(2, skip.skippedRows());
    assertNull(out.get(2).get(7));
    assertTrue(out.get(2).getString(9).contains("column 'picture'"), out.get(2).getString(9));
    assertTrue(out.get(4).getString(9).contains("every input is missing"), out.get(4).getString(9));
    assertNull(out.get(0).get(9));
    assertMatchesPredictor(List.of(out.get(0), out.get(1), out.get(3), out.get(5)), 0, 7, 8);
  }

  static String rootMessage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InvalidInputException) {
        return t.getMessage();
      }
    }
    return e.getMessage();
  }

  @Test
  void tokenizedColumnsGiveTheSamePredictionsAndThePipelineSavesAndLoads(@TempDir Path tmp) throws Exception {
    MmfuseTokenizer tok = new MmfuseTokenizer().setBundle(TestBundles.bundle().toString());
    tok.setIdCol("id").setImageRoot(TestBundles.dir().toString());
    Dataset<Row> tokens = tok.transform(csv());
    assertEquals(List.of("id", "caption", "picture", "size", "kind", "label", "caption_tokens", "picture_tokens",
        "table_tokens"), List.of(tokens.schema().fieldNames()));
    Path parquet = tmp.resolve("tokens.parquet");
    tokens.write().parquet(parquet.toString());
    // The model reads the stored token columns only: the raw columns are dropped.
    Dataset<Row> stored = spark.read().parquet(parquet.toString()).select("id", "caption_tokens", "picture_tokens",
        "table_tokens").orderBy("id");
    List<Row> fromTokens = model().transform(stored).collectAsList();
    assertEquals(TestBundles.ROWS, fromTokens.size());
    assertMatchesPredictor(fromTokens, 0, 5, 6);

    PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {tok, model().setProbabilityCol("p")})
        .fit(csv());
    pipeline.write().save(tmp.resolve("pipeline").toString());
    PipelineModel loaded = PipelineModel.load(tmp.resolve("pipeline").toString());
    MmfuseModel stage = (MmfuseModel) loaded.stages()[1];
    assertEquals(TestBundles.bundle().toString(), stage.getBundle());
    assertEquals(4, (Integer) stage.getOrDefault(stage.batchSize()));
    List<Row> again = loaded.transform(csv()).select("id", "p", "embedding").collectAsList();
    assertMatchesPredictor(again, 0, 1, 2);
  }

  @Test
  void theSchemaCheckNamesWhatIsWrongBeforeAnyJob() {
    StructType schema = csv().schema();
    MmfuseModel m = model();
    m.setInputCol("caption", "nope");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> m.transformSchema(schema));
    assertTrue(e.getMessage().contains("column 'nope' is not among"), e.getMessage());

    MmfuseModel unknown = model();
    unknown.setInputCol("photo", "picture");
    var e2 = assertThrows(io.mmfuse.api.InvalidConfigurationException.class, () -> unknown.transformSchema(schema));
    assertTrue(e2.getMessage().contains("no input 'photo'"), e2.getMessage());

    StructType withArray = schema.add("tags", DataTypes.createArrayType(DataTypes.StringType));
    MmfuseModel badType = model();
    badType.setInputCol("caption", "tags");
    var e3 = assertThrows(InvalidInputException.class, () -> badType.transformSchema(withArray));
    assertTrue(e3.getMessage().contains("column 'tags' is of type array<string>"), e3.getMessage());

    StructType clash = schema.add("prediction", DataTypes.StringType);
    var e4 = assertThrows(InvalidInputException.class, () -> model().transformSchema(clash));
    assertTrue(e4.getMessage().contains("'prediction' is already among"), e4.getMessage());

    MmfuseModel noBundle = new MmfuseModel();
    assertThrows(io.mmfuse.api.InvalidConfigurationException.class, () -> noBundle.transformSchema(schema));
    var e5 = assertThrows(io.mmfuse.api.CheckpointException.class,
        () -> new MmfuseModel().setBundle(TestBundles.dir().toString()).transformSchema(schema));
    assertTrue(e5.getMessage().contains("has no manifest.json"), e5.getMessage());
    assertNotNull(model().transformSchema(schema));
  }

  @Test
  void threadsComeFromTheTaskAndTheExecutorAndAGpuFromTheTasksResources() {
    var cpu = ExecutorRuntime.options(0, 0, 1, 4, new String[0]);
    assertEquals("cpu", cpu.device());
    assertEquals(1, cpu.intraOpThreads());
    assertEquals(4, cpu.interOpThreads());
    var two = ExecutorRuntime.options(0, 0, 2, 8, null);
    assertEquals(2, two.intraOpThreads());
    assertEquals(4, two.interOpThreads());
    var set = ExecutorRuntime.options(3, 1, 2, 8, null);
    assertEquals(3, set.intraOpThreads());
    assertEquals(1, set.interOpThreads());
    var gpu = ExecutorRuntime.options(0, 0, 1, 2, new String[] {"3"});
    assertEquals("gpu", gpu.device());
    assertEquals("3", gpu.visibleDevices());
  }
}
