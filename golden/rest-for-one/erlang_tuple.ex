defmodule Golden.RestForOne.ErlangTuple do
  use Supervisor

  def start_link(_), do: :supervisor.start_link(__MODULE__, [])

  @impl true
  def init([]) do
    {:ok,
     {{:one_for_one, 3, 5},
      [
        {:store, {Golden.RestForOne.ErlangTuple.Store, :start_link, []}, :permanent, 5000, :worker,
         [Golden.RestForOne.ErlangTuple.Store]},
        {:api, {Golden.RestForOne.ErlangTuple.Api, :start_link, []}, :permanent, 5000, :worker,
         [Golden.RestForOne.ErlangTuple.Api]}
      ]}}
  end
end

defmodule Golden.RestForOne.ErlangTuple.Store do
  def start_link, do: Agent.start_link(fn -> %{} end, name: :golden_tuple_store)
end

defmodule Golden.RestForOne.ErlangTuple.Api do
  def start_link, do: Agent.start_link(fn -> Agent.get(:golden_tuple_store, & &1) end)
end
