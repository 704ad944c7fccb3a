defmodule Golden.MixEnvRuntime.TestFile.SupportHelper do
  # test/support/*.ex is compiled only for the test environment, under Mix.
  def env, do: Mix.env()
end
