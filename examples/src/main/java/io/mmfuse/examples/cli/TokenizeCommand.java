package io.mmfuse.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code mmfuse tokenize}: runs one modality's tokenizer on files. */
@Command(
    name = "tokenize",
    description = "Tokenize inputs of one modality.",
    subcommands = {TokenizeTextCommand.class, TokenizeImageCommand.class})
final class TokenizeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
