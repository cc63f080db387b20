package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.Specs;
import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** Fine-tuning starts from an imported Hugging Face BERT inside a fused model. */
class FineTuningTest {
  @Test
  void aFusedModelStartsFromTheImportedBertEncoder(@TempDir Path dir) throws Exception {
    Path checkpoint = Path.of(getClass().getResource("/fixtures/hf/bert-tiny/config.json").toURI()).getParent();
    // A WordPiece vocabulary of the checkpoint's size (1000): the first entries of BERT's own.
    List<String> vocab = Files.readAllLines(
        Path.of("../modality-text/src/test/resources/fixtures/text/bert-base-uncased-vocab.txt")).subList(0, 1000);
    Files.write(dir.resolve("vocab.txt"), vocab);
    List<String> rows = new ArrayList<>(List.of("note,amount,label"));
    for (int i = 0; i < 60; i++) {
      rows.add("\"" + (i % 2 == 0 ? "! ! ? ." : ". , ; :") + " and more words here\"," + i + "," + (i % 2));
    }
    Files.write(dir.resolve("data.csv"), rows);
    String spec = """
        inputs { name: "note" modality: "text" settings { [mmfuse/mmfuse.text.TextSettings] { tokenizer_file: "vocab.txt" lowercase: true
          add_special_tokens: true max_length: 128 } } }
        inputs { name: "table" modality: "table" }
        backbone { width: 64 layers: 2 heads: 4 ffn_width: 128 norm: POST activation: GELU layer_norm_eps: 1e-12
          fusion: "concat" init_checkpoint: "%s" }
        """.formatted(checkpoint);
    Files.writeString(dir.resolve("model.spec"), spec);
    var s = Specs.read(dir.resolve("model.spec"));
    new Trainer(TrainingConfig.builder().optEpochs(1).optLearningRate(1e-12f).build(), TrainingTest.REGISTRY)
        .fit(s, Dataset.read(dir.resolve("data.csv"), "label", s), dir, dir.resolve("model"));
    // With a vanishing learning rate the bundle still holds the checkpoint's encoder and word embeddings.
    SafeTensors hf = SafeTensors.open(checkpoint.resolve("model.safetensors"));
    try (SavedModelBundle b = SavedModelBundle.load(dir.resolve("model").resolve("saved_model").toString(),
        "serve"); Result r = b.session().runner().fetch("embed.note.tokens.read")
            .fetch("encoder.layer_1.ffn.out.bias.read").run()) {
      float[] tokens = new float[1000 * 64];
      ((TFloat32) r.get(0)).copyTo(DataBuffers.of(tokens, false, false));
      assertArrayEquals(hf.floats("embeddings.word_embeddings.weight"), tokens, 1e-6f);
      float[] bias = new float[64];
      ((TFloat32) r.get(1)).copyTo(DataBuffers.of(bias, false, false));
      assertArrayEquals(hf.floats("encoder.layer.1.output.dense.bias"), bias, 1e-6f);
    }
    // A backbone that does not fit the checkpoint is refused, naming the tensor.
    Files.writeString(dir.resolve("wide.spec"), spec.replace("width: 64", "width: 32"));
    var wide = Specs.read(dir.resolve("wide.spec"));
    CheckpointException e = assertThrows(CheckpointException.class, 
        () -> new Trainer(TrainingConfig.builder().optEpochs(1).build(), TrainingTest.REGISTRY)
            .fit(wide, Dataset.read(dir.resolve("data.csv"), "label", wide), dir, dir.resolve("wide-model")));
    assertTrue(e.getMessage().contains("has shape"), e.getMessage());
  }
}
