defmodule Golden.MixEnvRuntime.TestFile.EnvTest do
  def env, do: Mix.env()
end
