defmodule Golden.MixEnvSupervision.CompileEnvAttribute do
  def start_link do
    children = [Golden.MixEnvSupervision.CompileEnvAttribute.Worker] ++ []
    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
