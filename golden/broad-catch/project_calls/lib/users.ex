defmodule Golden.BroadCatch.Project.Users do
  alias Golden.BroadCatch.Project.Cache

  def cached_name(id) do
    Cache.get({:name, id})
  catch
    _kind, _reason -> nil
  end
end
