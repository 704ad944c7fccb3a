defmodule Golden.RestForOne.OptsVariableComments do
  def start_link do
    children = [
      # the registry must come first
      {Registry, keys: :unique, name: Golden.RestForOne.OptsVariableComments.Registry},
      Golden.RestForOne.OptsVariableComments.Sessions
    ]

    opts = [
      # restart policy
      strategy: :one_for_one, # reviewed in 2019
      max_restarts: 5,
      name: Golden.RestForOne.OptsVariableComments.Supervisor
    ]

    Supervisor.start_link(children, opts)
  end
end

defmodule Golden.RestForOne.OptsVariableComments.Sessions do
  use GenServer

  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @impl true
  def init(:ok), do: {:ok, %{}}

  def find(id) do
    Registry.lookup(Golden.RestForOne.OptsVariableComments.Registry, id)
  end
end
