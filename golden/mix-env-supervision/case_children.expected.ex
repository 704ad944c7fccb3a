defmodule Golden.MixEnvSupervision.CaseChildren do
  use Supervisor

  def start_link(arg), do: Supervisor.start_link(__MODULE__, arg)

  @impl true
  def init(_arg) do
    children =
      [
        Golden.MixEnvSupervision.CaseChildren.Repo,
        # only outside tests
        Golden.MixEnvSupervision.CaseChildren.Poller
      ]

    Supervisor.init(children, strategy: :one_for_one)
  end
end
