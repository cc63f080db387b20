package io.mmfuse.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import org.apache.spark.deploy.SparkHadoopUtil;

/** The Hadoop configuration of this JVM's Spark (the file systems and credentials the job was given). */
final class HadoopConf {
  private HadoopConf() {}

  static Configuration get() {
    if (SparkEnv.get() != null) {
      return SparkHadoopUtil.get().newConfiguration(SparkEnv.get().conf());
    }
    return new Configuration();
  }
}
