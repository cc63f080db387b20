package io.mmfuse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A standalone cluster on 127.0.0.1: a Master, two Workers of one core, executors in their own JVMs. */
@Tag("spark-cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkClusterTest {
  static StandaloneCluster cluster;
  static SparkSession spark;
  static Reference ref;

  @BeforeAll
  static void start() throws Exception {
    ref = new Reference();
    cluster = new StandaloneCluster(Files.createTempDirectory("mmfuse-cluster"), 2, 1);
    spark = SparkSession.builder().master(cluster.url()).appName("mmfuse-cluster-test")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.executor.memory", "1g")
        .config("spark.executor.cores", "1").config("spark.cores.max", "2")
        .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
        .config("spark.executorEnv.TF_CPP_MIN_LOG_LEVEL", "2").getOrCreate();
    long end = System.currentTimeMillis() + 180_000;
    // The driver counts itself among the executors.
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < 3) {
      if (System.currentTimeMillis() > end) {
        throw new IllegalStateException("two executors did not register in 180 s; logs in " + cluster.dir);
      }
      Thread.sleep(250);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (spark != null) {
      spark.stop();
    }
    if (cluster != null) {
      cluster.close();
      io.mmfuse.fusion.internal.Checksums.deleteTree(cluster.dir);
    }
  }

  static Dataset<Row> rows(int partitions) {
    return spark.read().option("header", "true").csv(TestBundles.data().toString()).repartition(partitions);
  }

  static MmfuseModel model() {
    MmfuseModel m = new MmfuseModel().setBundle(TestBundles.bundle().toString());
    return m.setIdCol("id").setImageRoot(TestBundles.dir().toString()).setBatchSize(8);
  }

  @Test
  @Order(1)
  void theJobGivesThePredictorsOutputsAndEachExecutorLoadsTheModelOnce() throws Exception {
    MmfuseModel m = model();
    Dataset<Row> in = rows(8);
    List<Row> out = m.transform(in).select("id", "probability", "embedding").collectAsList();
    assertEquals(TestBundles.ROWS, out.size());
    assertEquals(TestBundles.ROWS, out.stream().map(r -> r.getString(0)).collect(Collectors.toSet()).size());
    ref.assertMatches(out, 0, 1, 2);
    // Eight tasks on two executors: each loaded the bundle once.
    assertEquals(2, m.modelLoads());
    MmfuseModel again = model();
    assertEquals(TestBundles.ROWS, again.transform(rows(6)).count());
    assertEquals(0, again.modelLoads(), "the executors keep their models between jobs");
    List<String> logs = cluster.executorLogs();
    assertEquals(2, logs.size());
    for (String log : logs) {
      assertEquals(1, log.split("loaded bundle", -1).length - 1, log);
    }
    Set<String> ids = in.select("id").collectAsList().stream().map(r -> r.getString(0)).collect(Collectors.toSet());
    assertEquals(TestBundles.ROWS, ids.size());
  }

  @Test
  @Order(2)
  void aPipelineModelWithTheStagesSavesAndLoads() throws Exception {
    MmfuseTokenizer tok = new MmfuseTokenizer().setBundle(TestBundles.bundle().toString());
    tok.setImageRoot(TestBundles.dir().toString());
    PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {tok, model()}).fit(rows(4));
    Path saved = cluster.dir.resolve("pipeline");
    fitted.write().save(saved.toString());
    PipelineModel loaded = PipelineModel.load(saved.toString());
    assertEquals(2, loaded.stages().length);
    assertTrue(loaded.stages()[0] instanceof MmfuseTokenizer && loaded.stages()[1] instanceof MmfuseModel);
    List<Row> out = loaded.transform(rows(4)).select("id", "probability", "embedding").collectAsList();
    assertEquals(TestBundles.ROWS, out.size());
    ref.assertMatches(out, 0, 1, 2);
  }
}
