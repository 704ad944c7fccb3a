defmodule Golden.RestForOne.ChildSpecOptionsFixed do
  # Only the supervisor's own strategy changes, not the DynamicSupervisor child's.
  def start_link do
    children = [
      {DynamicSupervisor, strategy: :one_for_one, name: Golden.RestForOne.ChildSpecOptionsFixed.Rooms},
      Golden.RestForOne.ChildSpecOptionsFixed.Lobby
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end

defmodule Golden.RestForOne.ChildSpecOptionsFixed.Lobby do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok)
  @impl true
  def init(:ok), do: {:ok, nil}

  def open(spec) do
    DynamicSupervisor.start_child(Golden.RestForOne.ChildSpecOptionsFixed.Rooms, spec)
  end
end
