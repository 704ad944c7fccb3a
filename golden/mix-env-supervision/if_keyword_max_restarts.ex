defmodule Golden.MixEnvSupervision.IfKeywordMaxRestarts do
  use Supervisor

  def start_link(arg), do: Supervisor.start_link(__MODULE__, arg)

  @impl true
  def init(_arg) do
    Supervisor.init([], strategy: :one_for_one, max_restarts: if(Mix.env() == :test, do: 100, else: 3))
  end
end
