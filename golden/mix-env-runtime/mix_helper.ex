defmodule Golden.MixEnvRuntime.MixHelper do
  # Helpers of Mix tasks use other Mix functions: they only run under Mix.
  def info(message), do: Mix.shell().info("[#{Mix.env()}] #{message}")

  def app_env, do: {Mix.Project.config()[:app], Mix.env()}
end
