defmodule Golden.MixEnvSupervision.InList do
  def start_link(children) do
    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: if(Mix.env() in [:dev, :test], do: 100, else: 3))
  end

  def start_link2(children) do
    Supervisor.start_link(children, strategy: :one_for_one, max_seconds: if(Mix.env() not in [:prod], do: 60, else: 5))
  end
end
