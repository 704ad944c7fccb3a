defmodule Golden.RestForOne.LibraryModuleNotEvidence do
  # Using the Registry module is not using this Registry child: only its name would be.
  def start_link do
    children = [
      {Registry, keys: :unique, name: Golden.RestForOne.LibraryModuleNotEvidence.Names},
      Golden.RestForOne.LibraryModuleNotEvidence.Lookup
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end

defmodule Golden.RestForOne.LibraryModuleNotEvidence.Lookup do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok)
  @impl true
  def init(:ok), do: {:ok, Registry.lookup(Golden.RestForOne.OtherRegistry, :key)}
end
