package io.mmfuse.fusion.train;

import io.mmfuse.api.CheckpointException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/**
 * Keeps the state of a run after each epoch beside its bundle ({@code OUT.training/}): every variable of the last
 * epoch and of the best one, and where the run stood, so that a run stopped at any point resumes exactly where it
 * was. The directory is deleted once the bundle is written.
 */
public final class EpochCheckpoints implements TrainingListener {
  private final Path dir;

  /** Where the checkpoints of a run writing the bundle {@code out} are kept. */
  public EpochCheckpoints(Path out) {
    this.dir = directory(out);
  }

  /** The checkpoint directory of a run writing {@code out}. */
  public static Path directory(Path out) {
    return out.toAbsolutePath().resolveSibling(out.getFileName() + ".training");
  }

  /** Whether a stopped run writing {@code out} left a checkpoint to resume from. */
  public static boolean exists(Path out) {
    return Files.isRegularFile(directory(out).resolve("state.properties"));
  }

  /**
   * Where a stopped run stood.
   *
   * @param epoch the last finished epoch
   * @param step optimizer steps taken
   * @param bestEpoch the best epoch
   * @param bestScore its score
   * @param bestTieBreak what chose it among epochs of equal score (NaN: nothing)
   */
  public record State(int epoch, int step, int bestEpoch, double bestScore, double bestTieBreak) {}

  @Override
  public Decision onEpoch(Epoch e, TrainingModel model) {
    try {
      Files.createDirectories(dir);
      model.saveCheckpoint(dir.resolve("last"));
      if (e.improved()) {
        model.saveCheckpoint(dir.resolve("best"));
      }
      Properties state = new Properties();
      state.setProperty("epoch", Integer.toString(e.epoch()));
      state.setProperty("step", Integer.toString(e.step()));
      state.setProperty("bestEpoch", Integer.toString(e.bestEpoch()));
      state.setProperty("bestScore", Double.toString(e.bestScore()));
      state.setProperty("bestTieBreak", Double.toString(e.bestTieBreak()));
      Path tmp = dir.resolve("state.properties.tmp");
      try (OutputStream o = Files.newOutputStream(tmp)) {
        state.store(o, "mmfuse training state");
      }
      Files.move(tmp, dir.resolve("state.properties"), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException x) {
      throw new CheckpointException("checkpoint " + dir + ": cannot be written: " + x, x);
    }
    return Decision.CONTINUE;
  }

  /**
   * Restores the best epoch's variables, reads them, then the last epoch's, into {@code model}; returns where the run
   * stood and the best weights, or empty when there is no checkpoint.
   */
  Optional<Restored> restore(TrainingModel model) {
    Path file = dir.resolve("state.properties");
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
      State s = new State(Integer.parseInt(p.getProperty("epoch")), Integer.parseInt(p.getProperty("step")),
          Integer.parseInt(p.getProperty("bestEpoch")), Double.parseDouble(p.getProperty("bestScore")),
          Double.parseDouble(p.getProperty("bestTieBreak", "NaN")));
      model.restoreCheckpoint(dir.resolve("best"));
      var best = model.weights();
      model.restoreCheckpoint(dir.resolve("last"));
      return Optional.of(new Restored(s, best));
    } catch (IOException | RuntimeException x) {
      throw new CheckpointException("checkpoint " + dir + ": cannot be read: " + x.getMessage(), x);
    }
  }

  record Restored(State state, java.util.Map<String, io.mmfuse.fusion.graph.Weight> best) {}

  /** Deletes the checkpoints (the bundle holds the result). */
  void delete() {
    io.mmfuse.fusion.internal.Checksums.deleteTree(dir);
  }

  Path dir() {
    return dir;
  }
}
