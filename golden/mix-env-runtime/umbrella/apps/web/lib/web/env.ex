defmodule Golden.MixEnvRuntime.Umbrella.Env do
  def current, do: Mix.env()
end
