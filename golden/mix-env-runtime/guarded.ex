defmodule Golden.MixEnvRuntime.Guarded do
  # Libraries that check for Mix first know what they are doing.
  def env do
    if Code.ensure_loaded?(Mix), do: Mix.env(), else: :prod
  end

  def env2 do
    if function_exported?(Mix, :env, 0), do: Mix.env(), else: :prod
  end
end
