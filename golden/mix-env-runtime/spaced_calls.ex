defmodule Golden.MixEnvRuntime.Spaced do
  # The formatter never writes these, but Elixir reads them as Mix.env():
  # a pre-filter looking for the bytes "Mix.env" would skip this file.
  def spaced?, do: Mix . env() == :dev

  def split? do
    Mix.
      env() == :test
  end
end
