defmodule Golden.RestForOne.UseSupervisorInit do
  use Supervisor

  alias Golden.RestForOne.UseSupervisorInit.{Clock, Ticker}

  def start_link(arg), do: Supervisor.start_link(__MODULE__, arg, name: __MODULE__)

  @impl true
  def init(_arg) do
    Supervisor.init([Clock, {Ticker, interval: 1_000}], strategy: :one_for_one)
  end
end

defmodule Golden.RestForOne.UseSupervisorInit.Clock do
  use Agent

  def start_link(_), do: Agent.start_link(fn -> 0 end, name: __MODULE__)
  def now, do: Agent.get(__MODULE__, & &1)
end

defmodule Golden.RestForOne.UseSupervisorInit.Ticker do
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts)

  @impl true
  def init(opts), do: {:ok, %{started: Golden.RestForOne.UseSupervisorInit.Clock.now(), opts: opts}}
end
