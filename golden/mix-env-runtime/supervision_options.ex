defmodule Golden.MixEnvRuntime.SupervisionOptions do
  # Mix.env() choosing supervisor options is mix-env-supervision's finding (and fix):
  # mix-env-runtime does not report it a second time. The other use is reported.
  use Supervisor

  def start_link(arg), do: Supervisor.start_link(__MODULE__, arg, name: __MODULE__)

  @impl true
  def init(_arg) do
    children = []
    Supervisor.init(children, strategy: :one_for_one, max_restarts: if(Mix.env() == :test, do: 100, else: 3))
  end

  def debug?, do: Mix.env() == :dev
end
