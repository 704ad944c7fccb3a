defmodule Golden.MixEnvSupervision.CompileEnvAttribute do
  @environment Application.compile_env(:golden, :environment, :prod)

  def start_link do
    children = [Golden.MixEnvSupervision.CompileEnvAttribute.Worker] ++ if(@environment == :dev, do: [Golden.MixEnvSupervision.CompileEnvAttribute.Reloader], else: [])
    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
