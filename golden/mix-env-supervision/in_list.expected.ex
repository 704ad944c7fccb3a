defmodule Golden.MixEnvSupervision.InList do
  def start_link(children) do
    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: 3)
  end

  def start_link2(children) do
    Supervisor.start_link(children, strategy: :one_for_one, max_seconds: 5)
  end
end
