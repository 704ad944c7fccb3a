defmodule Golden.MixEnvRuntime.MixProject.ConfigHelper do
  # .exs files run with Mix loaded: never reported.
  def env, do: Mix.env()
end
