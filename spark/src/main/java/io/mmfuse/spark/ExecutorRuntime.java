package io.mmfuse.spark;

import io.mmfuse.runtime.RuntimeOptions;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * How TensorFlow runs inside an executor. The executor's tasks share one session, so one run gets the task's cores
 * ({@code spark.task.cpus}) as intra-op threads, and as many runs as the executor has task slots go at once
 * (inter-op threads = executor cores / task cores). A task given a GPU ({@code spark.task.resource.gpu.amount}) runs
 * there, with the GPU addresses Spark assigned as TensorFlow's visible devices.
 */
public final class ExecutorRuntime {
  private ExecutorRuntime() {}

  /**
   * The runtime options for a task: explicit thread counts (greater than 0) win over those derived from the task's
   * and the executor's cores; GPU addresses (empty: none) put the model on the GPU.
   */
  public static RuntimeOptions options(int intraOpThreads, int interOpThreads, int taskCpus, int executorCores,
      String[] gpuAddresses) {
    int task = Math.max(1, taskCpus);
    int intra = intraOpThreads > 0 ? intraOpThreads : task;
    int inter = interOpThreads > 0 ? interOpThreads : Math.max(1, Math.max(task, executorCores) / task);
    RuntimeOptions cpu = RuntimeOptions.of("cpu").withThreads(intra, inter);
    if (gpuAddresses == null || gpuAddresses.length == 0) {
      return cpu;
    }
    return new RuntimeOptions("gpu", intra, inter, true, 0, String.join(",", gpuAddresses), false);
  }

  /** The options for the task running on this thread (outside a task: this JVM's cores). */
  static RuntimeOptions forCurrentTask(int intraOpThreads, int interOpThreads) {
    TaskContext task = TaskContext.get();
    SparkEnv env = SparkEnv.get();
    int taskCpus = task != null ? task.cpus() : env != null ? env.conf().getInt("spark.task.cpus", 1) : 1;
    String[] gpus = new String[0];
    if (task != null) {
      Map<String, ResourceInformation> res = task.resourcesJMap();
      ResourceInformation gpu = res.get("gpu");
      if (gpu != null) {
        gpus = gpu.addresses();
      }
    }
    return options(intraOpThreads, interOpThreads, taskCpus, executorCores(), gpus);
  }

  /** The cores of this executor: spark.executor.cores, else local[N]'s N, else the machine's. */
  static int executorCores() {
    int machine = Runtime.getRuntime().availableProcessors();
    SparkEnv env = SparkEnv.get();
    if (env == null) {
      return machine;
    }
    SparkConf conf = env.conf();
    if (conf.contains("spark.executor.cores")) {
      return conf.getInt("spark.executor.cores", machine);
    }
    String master = conf.get("spark.master", "");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+)(,\\d+)?]").matcher(master);
    if (m.matches()) {
      return Integer.parseInt(m.group(1));
    }
    return machine;
  }
}
