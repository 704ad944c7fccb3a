defmodule Golden.MixEnvRuntime.RuntimeDef do
  def debug?, do: Mix.env() == :dev

  def banner(name, env \\ Mix.env()) do
    "#{name} (#{env})"
  end

  defp log_level do
    levels = fn -> if Mix.env == :prod, do: :info, else: :debug end
    levels.()
  end

  def level, do: log_level()
end
